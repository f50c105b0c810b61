// The one walker (client/repo/fs/walker.ts) and the scan built on it (fs/scan.ts): the rules the backup applies,
// applied in one place. A name that is not UTF-8 is a warning and left out; an excluded file and a directory excluded
// by a marker file are left out silently; an unreadable directory is a warning, not a throw; the scan counts what
// the walker keeps.

import { lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanTotals } from '../../../../client/repo/fs/scan.js';
import { Walker } from '../../../../client/repo/fs/walker.js';
import { tempDir } from '../engine-helpers.js';

describe('walker', () => {
  it('keeps what the rules keep, in directory order, and warns about a name that is not UTF-8', () => {
    const root = tempDir();
    writeFileSync(join(root, 'a.txt'), 'aa');
    writeFileSync(join(root, 'skip.log'), 'xx');
    writeFileSync(Buffer.concat([Buffer.from(`${root}/bad-`), Buffer.from([0xff, 0xfe])]), 'z');
    mkdirSync(join(root, 'cache'));
    writeFileSync(join(root, 'cache', '.nobackup'), '');
    mkdirSync(join(root, 'sub'));
    writeFileSync(join(root, 'sub', 'b'), 'bbb');
    const warnings: [string, string][] = [];
    const walker = new Walker({ exclude: ['*.log'], excludeIfPresent: ['.nobackup'] }, (_p, m, kind) => warnings.push([m, kind]));
    const dev = lstatSync(root, { bigint: true }).dev;
    const names = [...walker.readDir(root, dev)!].map((e) => e.name).sort();
    expect(names).toEqual(['a.txt', 'sub']);
    expect(warnings).toEqual([['name is not valid UTF-8', 'unsupported']]);
    expect(scanTotals([root], { exclude: ['*.log'], excludeIfPresent: ['.nobackup'] })).toEqual({ files: 2, bytes: 5 });
    // without the rules, the marked directory and the excluded file count too (the bad name never does)
    expect(scanTotals([root])).toEqual({ files: 4, bytes: 7 });
  });

  it('a directory it cannot list is a warning and undefined', () => {
    const warnings: string[] = [];
    const walker = new Walker({}, (p, m) => warnings.push(`${p}: ${m}`));
    const missing = join(tempDir(), 'gone');
    expect(walker.readDir(missing, 0n)).toBeUndefined();
    expect(warnings).toEqual([`${missing}: cannot read directory: ENOENT`]);
  });
});
