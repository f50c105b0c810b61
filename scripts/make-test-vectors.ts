// `npx tsx scripts/make-test-vectors.ts`: writes the committed example repository test/vectors/repo-v1/ (docs/
// repository.md "Test vectors"). With the SDK and the in-memory store it backs up a tiny tree (one text file,
// one symlink, one empty directory, fixed modes and mtimes, from the fixed path /tmp/bkv-test-vectors/tree)
// under a fixed, published backup key, then writes every object to test/vectors/repo-v1/<type>/<id> and a
// README.md with K, its age identity and the expected listing and SHA-256 of each file. Encryption is
// randomized (age file keys, nonces, the repository id), so every run writes different objects: run it only to
// replace the vectors on purpose (a format change), and commit the result; test/tools/vectors.test.ts
// restores the committed ones with bkv's engine and tools/bkv-restore.py.

import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, lutimesSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BackupKey, backup, backupAgeIdentity, initRepository, type ObjectType } from '../client/index.js';
import { MemoryRepoStore } from '../client/repo/storage/memory-store.js';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, 'test/vectors/repo-v1');
const SRC_PARENT = '/tmp/bkv-test-vectors';
const SRC = join(SRC_PARENT, 'tree');
/** K of the vectors: the bytes 0x00, 0x01, …, 0x1f. Published: it protects nothing. */
export const VECTOR_KEY = BackupKey.fromBytes(Uint8Array.from({ length: 32 }, (_, i) => i));
const TYPES: ObjectType[] = ['config', 'snapshots', 'index', 'data'];
const MTIME = new Date('2024-01-02T03:04:05Z');

/** The tree below `root`, one line per entry (the format tools/bkv-restore.py's `ls` prints, with SHA-256). */
export function describeTree(root: string): string[] {
  const lines: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const path = rel ? `${rel}/${name}` : name;
      const st = lstatSync(full);
      const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
      if (st.isSymbolicLink()) lines.push(`${path} -> ${readlinkSync(full)}`);
      else if (st.isDirectory()) {
        lines.push(`${path}/ ${mode}`);
        walk(full, path);
      } else lines.push(`${path} ${mode} ${st.size} sha256:${createHash('sha256').update(readFileSync(full)).digest('hex')}`);
    }
  };
  walk(root, '');
  return lines;
}

async function main(): Promise<void> {
  rmSync(SRC_PARENT, { recursive: true, force: true });
  mkdirSync(join(SRC, 'empty'), { recursive: true });
  writeFileSync(join(SRC, 'hello.txt'), 'Hello from the bkv test vectors.\n');
  symlinkSync('hello.txt', join(SRC, 'link'));
  chmodSync(join(SRC, 'hello.txt'), 0o644);
  chmodSync(join(SRC, 'empty'), 0o755);
  chmodSync(SRC, 0o755);
  lutimesSync(join(SRC, 'link'), MTIME, MTIME);
  for (const p of ['hello.txt', 'empty', '.']) utimesSync(join(SRC, p), MTIME, MTIME);

  const store = new MemoryRepoStore();
  const repo = await initRepository(store, VECTOR_KEY, { workers: 0 });
  let snapshotId: string;
  try {
    snapshotId = (await backup(repo, { paths: [SRC], host: 'vectors', user: 'vectors', tags: ['test-vector'] })).snapshot.id;
  } finally {
    await repo.close();
  }
  const listing = describeTree(SRC_PARENT);
  rmSync(SRC_PARENT, { recursive: true, force: true });

  rmSync(OUT, { recursive: true, force: true });
  const objects: string[] = [];
  for (const type of TYPES) {
    mkdirSync(join(OUT, type), { recursive: true });
    for await (const o of store.list(type)) {
      writeFileSync(join(OUT, type, o.id), await store.get({ type, id: o.id }));
      objects.push(`${type}/${o.id} (${o.size} B)`);
    }
  }
  const readme = `# Test vectors: repository format version 1

An example repository as bkv writes it (docs/repository.md), for anyone writing a reader: every file below
\`config/\`, \`snapshots/\`, \`index/\` and \`data/\` is one object, named \`<type>/<id>\`, and is a standard age v1
file. Written by \`scripts/make-test-vectors.ts\` (randomized encryption: a new run writes other bytes);
restored by \`test/tools/vectors.test.ts\` with bkv's engine and with \`tools/bkv-restore.py\`.

The backup key K is published, so these objects protect nothing:

    K (64-digit key):  ${VECTOR_KEY.format()}
    K (hex):           ${Buffer.from(Uint8Array.from({ length: 32 }, (_, i) => i)).toString('hex')}
    age identity:      ${backupAgeIdentity(VECTOR_KEY)}

It holds one snapshot (host \`vectors\`, user \`vectors\`, tag \`test-vector\`) of the path \`${SRC}\`:

    ${snapshotId}

Restored, it is this tree (the root holds one entry per backed-up path, named by its last component;
directories end in \`/\` and show their mode, files show mode, size and SHA-256, symlinks their target; every
mtime is ${MTIME.toISOString()}):

${listing.map((l) => `    ${l}`).join('\n')}

To restore it with nothing but Python 3 and \`age\`:

    echo ${backupAgeIdentity(VECTOR_KEY)} > identity.txt
    python3 tools/bkv-restore.py --identity identity.txt --repo test/vectors/repo-v1 restore latest /tmp/out

Objects (${objects.length}):

${objects.map((o) => `    ${o}`).join('\n')}
`;
  writeFileSync(join(OUT, 'README.md'), readme);
  process.stdout.write(readme);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) await main();
