// Tree nodes share V8 hidden classes: decodeTree makes every node of a kind with one object literal, in one
// property order. Objects made by spreading a common base at a busy site get a hidden class each in this V8 (~300
// bytes, with its descriptors), and a restore of 100k small files held 100k of them (~36 MB). Checked with V8's
// %HaveSameMap in a child process (the natives syntax flag is the process's).

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const TREE_TS = new URL('../../../client/repo/tree.ts', import.meta.url).href;

describe('decodeTree', () => {
  it('gives nodes of one kind and one set of fields one hidden class, however many there are', () => {
    const script = `
      import { decodeTree, encodeTree } from ${JSON.stringify(TREE_TS)};
      const id = (i) => i.toString(16).padStart(64, '0');
      const nodes = [];
      for (let i = 0; i < 5000; i++) {
        const name = 'f' + String(i).padStart(5, '0');
        nodes.push(i % 3 === 0
          ? { name, mode: 420, mtime: String(1e18 + i), uid: 0, gid: 0, type: 'dir', subtree: id(i) }
          : { name, mode: 420, mtime: String(1e18 + i), uid: 0, gid: 0, type: 'file', size: i, content: [id(i)], inode: String(i), ctime: String(i) });
      }
      const decoded = decodeTree(encodeTree({ nodes })).nodes;
      const files = decoded.filter((n) => n.type === 'file');
      const dirs = decoded.filter((n) => n.type === 'dir');
      const same = (xs) => xs.every((x) => %HaveSameMap(x, xs[0]));
      process.stdout.write(JSON.stringify({ files: files.length, dirs: dirs.length, filesShare: same(files), dirsShare: same(dirs) }));`;
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ files: 3333, dirs: 1667, filesShare: true, dirsShare: true });
  });
});
