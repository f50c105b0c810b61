// The committed test vectors (test/vectors/repo-v1, docs/repository.md "Test vectors"; written once by
// scripts/make-test-vectors.ts) restore to the published tree with both readers: bkv's engine (the SDK over an
// in-memory store loaded from the directory) and the independent tools/bkv-restore.py with the `age` CLI. If a
// change to either reader stops it reading repositories written before, this fails. Needs python3 and `age`.

import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BackupKey, backupAgeIdentity, findSnapshot, openRepository, restore, type ObjectType } from '../../client/index.js';
import { MemoryRepoStore } from '../../client/repo/storage/memory-store.js';
import { describeTree } from '../../scripts/make-test-vectors.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const VECTORS = join(root, 'test/vectors/repo-v1');
const K = '0001-0203-0405-0607-0809-0a0b-0c0d-0e0f-1011-1213-1415-1617-1819-1a1b-1c1d-1e1f';
const IDENTITY = 'AGE-SECRET-KEY-17X3PW0DUEKN579XAXLZAWULJYNPKZS244SMJRAW4LMKKKXXQEMJS4JXNLN';
const EXPECTED = [
  'tree/ 0755',
  'tree/empty/ 0755',
  'tree/hello.txt 0644 33 sha256:ba18b83e64196baddf8b090c60a3df273b8c519ae6e76bcda75008e60f07cb29',
  'tree/link -> hello.txt',
];
const MTIME_MS = Date.parse('2024-01-02T03:04:05Z');

const scratch = mkdtempSync(join(tmpdir(), 'bkv-vectors-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));


/** The expected modes under this process's umask: docs/repository.md "Restoring" applies it to files and directories. */
const masked = (lines: string[]) => lines.map((l) => l.replace(/ (\d{4})( |$)/,
  (whole, m: string, end: string) => `${whole.startsWith('/') ? '/' : ''} ${(parseInt(m, 8) & ~process.umask()).toString(8).padStart(4, '0')}${end}`));

describe('test vectors (test/vectors/repo-v1)', () => {
  it('the README publishes K, its age identity and the expected tree', () => {
    const readme = readFileSync(join(VECTORS, 'README.md'), 'utf8');
    expect(readme).toContain(K);
    expect(readme).toContain(IDENTITY);
    expect(backupAgeIdentity(BackupKey.parse(K))).toBe(IDENTITY);
    for (const line of EXPECTED) expect(readme).toContain(`    ${line}\n`);
  });

  it('every object is an age v1 file', () => {
    for (const type of ['config', 'snapshots', 'index', 'data']) {
      for (const id of readdirSync(join(VECTORS, type))) {
        expect(readFileSync(join(VECTORS, type, id)).subarray(0, 22).toString('latin1'), `${type}/${id}`).toBe('age-encryption.org/v1\n');
      }
    }
  });

  it("bkv's engine restores the expected tree", async () => {
    const store = new MemoryRepoStore();
    const [configId] = readdirSync(join(VECTORS, 'config'));
    await store.createConfig(configId!, readFileSync(join(VECTORS, 'config', configId!)));
    for (const type of ['snapshots', 'index', 'data'] as ObjectType[]) {
      for (const id of readdirSync(join(VECTORS, type))) await store.put({ type, id }, readFileSync(join(VECTORS, type, id)));
    }
    const repo = await openRepository(store, BackupKey.parse(K), { workers: 0 });
    const target = join(scratch, 'engine');
    try {
      const snapshot = await findSnapshot(repo, 'latest');
      expect(snapshot.paths).toEqual(['/tmp/bkv-test-vectors/tree']);
      await restore(repo, snapshot, target);
    } finally {
      await repo.close();
    }
    expect(describeTree(target)).toEqual(masked(EXPECTED));
    expect(lstatSync(join(target, 'tree/hello.txt')).mtimeMs).toBe(MTIME_MS);
  });

  it('tools/bkv-restore.py restores the expected tree with only age', () => {
    const identity = join(scratch, 'identity.txt');
    writeFileSync(identity, `${IDENTITY}\n`, { mode: 0o600 });
    const target = join(scratch, 'python');
    const run = spawnSync('python3', ['tools/bkv-restore.py', '--identity', identity, '--repo', VECTORS, 'restore', 'latest', target], {
      cwd: root, encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' }, timeout: 60_000,
    });
    expect(run.error, 'python3 must be installed').toBeUndefined();
    expect(run.status, run.stderr).toBe(0);
    expect(describeTree(target)).toEqual(masked(EXPECTED));
    expect(lstatSync(join(target, 'tree/hello.txt')).mtimeMs).toBe(MTIME_MS);
  }, 60_000);
});
