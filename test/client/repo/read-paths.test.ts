// The read paths besides a full restore: `restore --include` restores only what it names, `dump` streams one
// file by ranged reads, `ls` lists a directory, and an unchanged backup from a new process (same $BKV_HOME)
// downloads no pack at all: index, snapshots and tree packs come from the encrypted local cache, and it starts
// no blob worker.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { backup } from '../../../client/repo/commands/backup.js';
import { dumpFile } from '../../../client/repo/commands/dump.js';
import { listSnapshot } from '../../../client/repo/commands/ls.js';
import { initRepository } from '../../../client/repo/repository.js';
import { restore } from '../../../client/repo/commands/restore.js';
import type { ObjectName } from '../../../client/repo/storage/store.js';
import type { TestMemoryStore } from '../../helpers/memory-repo.js';
import { freshRepo, tempDir } from './engine-helpers.js';

function tree(): string {
  const root = join(tempDir(), 'src');
  mkdirSync(join(root, 'a/deep'), { recursive: true });
  mkdirSync(join(root, 'b'));
  writeFileSync(join(root, 'a/deep/one'), randomBytes(3 * 1024 * 1024));
  writeFileSync(join(root, 'a/two'), 'two');
  writeFileSync(join(root, 'b/three'), 'three');
  return root;
}

/**
 * An unchanged backup of `root` by a new process (a fresh Repository on the same store), `onGet` seeing every
 * get; returns how many blob workers it started.
 */
async function backupAgain(store: TestMemoryStore, key: Uint8Array, root: string, home: string | undefined, onGet: (name: ObjectName) => void): Promise<number> {
  const again = await initRepository(store, key, { ...(home !== undefined ? { home } : {}), workers: 1 });
  store.hook = (op, name) => { if (op === 'get') onGet(name!); };
  try {
    const { snapshot } = await backup(again, { paths: [root] });
    expect(snapshot.summary.newBytes).toBe(0);
    return again.pool.stats.length;
  } finally {
    store.hook = undefined;
    await again.close();
  }
}

describe('read paths', () => {
  it('restore --include restores only the included paths (and the directories leading to them)', async () => {
    const { repo, home } = await freshRepo();
    const root = tree();
    const { snapshot } = await backup(repo, { paths: [root] });
    const out = join(tempDir(), 'out');
    await restore(repo, snapshot, out, { home, include: ['src/a/deep'] });
    expect(readdirSync(join(out, 'src'))).toEqual(['a']);
    expect(readdirSync(join(out, 'src/a'))).toEqual(['deep']);
    expect(readFileSync(join(out, 'src/a/deep/one')).equals(readFileSync(join(root, 'a/deep/one')))).toBe(true);
    const out2 = join(tempDir(), 'out2');
    await restore(repo, snapshot, out2, { home, include: [join(root, 'b/three')] });
    expect(readFileSync(join(out2, 'src/b/three'), 'utf8')).toBe('three');
    expect(existsSync(join(out2, 'src/a'))).toBe(false);
  });

  it('dump writes one file exactly; ls lists below a path', async () => {
    const { repo } = await freshRepo();
    const root = tree();
    const { snapshot } = await backup(repo, { paths: [root] });
    const parts: Buffer[] = [];
    const sink = new Writable({ write(c: Buffer, _e, cb) { parts.push(c); cb(); } });
    const n = await dumpFile(repo, snapshot, 'src/a/deep/one', sink);
    expect(n).toBe(3 * 1024 * 1024);
    expect(Buffer.concat(parts).equals(readFileSync(join(root, 'a/deep/one')))).toBe(true);
    const names: string[] = [];
    for await (const e of listSnapshot(repo, snapshot, 'src/a')) names.push(`${e.node.type}:${e.path}`);
    expect(names).toEqual(['dir:src/a', 'dir:src/a/deep', 'file:src/a/deep/one', 'file:src/a/two']);
  });

  it('an unchanged backup from a new process with the same home downloads no pack', async () => {
    const { repo, store, key, home } = await freshRepo();
    const root = tree();
    await backup(repo, { paths: [root] });
    const gets: string[] = [];
    await backupAgain(store, key, root, home, (name) => gets.push(`${name.type}/${name.id}`));
    expect(gets.filter((g) => !g.startsWith('config/'))).toEqual([]);
  });

  it('a backup reads each tree pack of its parent once, however many directories the pack holds', async () => {
    const { repo, store, key } = await freshRepo();
    const root = join(tempDir(), 'many');
    for (let i = 0; i < 40; i++) {
      mkdirSync(join(root, `d${i}`, 'sub'), { recursive: true });
      writeFileSync(join(root, `d${i}`, 'sub', 'f'), `file ${i}`);
    }
    await backup(repo, { paths: [root] });
    // no home: no local cache, so every pack the parent's trees need is fetched from the store
    const gets = new Map<string, number>();
    await backupAgain(store, key, root, undefined, (name) => { if (name.type === 'data') gets.set(name.id, (gets.get(name.id) ?? 0) + 1); });
    expect(gets.size).toBeGreaterThan(0);
    expect([...gets.values()].every((n) => n === 1), JSON.stringify([...gets.values()])).toBe(true);
  });

  it('an unchanged backup starts no blob worker, even when its parent\'s trees fill a big pack', async () => {
    const { repo, store, key } = await freshRepo();
    const root = join(tempDir(), 'wide');
    for (let d = 0; d < 6; d++) {
      mkdirSync(join(root, `d${d}`), { recursive: true });
      for (let f = 0; f < 1000; f++) writeFileSync(join(root, `d${d}`, `file-with-a-longer-name-${f}`), `${d}/${f}`);
    }
    await backup(repo, { paths: [root] });
    const treePacks = [...repo.index.packs.values()].filter((p) => p.t === 'tree');
    // bigger than what is opened on this thread anyway (blob-pool.ts INLINE_OPEN_BYTES)
    expect(Math.max(...treePacks.map((p) => p.size))).toBeGreaterThan(256 * 1024);
    const started = await backupAgain(store, key, root, undefined, () => {});
    expect(started).toBe(0);
  });
});
