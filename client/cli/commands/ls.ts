// `bkv ls <snapshot> [path]`: the entries of a snapshot (or below one path in it), one per line:
// type and mode, size, mtime, path (and a symlink's target).

import { hostname } from 'node:os';
import { findSnapshot } from '../../repo/snapshots/find.js';
import { listSnapshot } from '../../repo/commands/ls.js';
import { TYPE_LETTER } from '../../repo/tree.js';
import { Session } from '../session.js';
import { type RepoFlags, withRepository } from './repo-common.js';

export async function ls(ref: string, path: string | undefined, flags: RepoFlags & { json?: boolean }, session = new Session(flags)): Promise<void> {
  await withRepository(flags, session, async (repo, signal) => {
    const snapshot = await findSnapshot(repo, ref, { host: hostname(), signal });
    const out: string[] = [];
    for await (const { path: p, node } of listSnapshot(repo, snapshot, path ?? '', { signal })) {
      if (flags.json) {
        out.push(JSON.stringify({ path: p, type: node.type, mode: node.mode, mtime: node.mtime, ...(node.type === 'file' ? { size: node.size } : {}), ...(node.type === 'symlink' ? { target: node.target } : {}) }));
        continue;
      }
      const t = TYPE_LETTER[node.type];
      const size = node.type === 'file' ? String(node.size) : '';
      const when = new Date(Number(BigInt(node.mtime) / 1000000n)).toISOString().slice(0, 19).replace('T', ' ');
      out.push(`${t}${node.mode.toString(8).padStart(4, '0')} ${size.padStart(12)} ${when} ${p}${node.type === 'symlink' ? ` -> ${node.target}` : ''}`);
      if (out.length >= 1000) process.stdout.write(`${out.splice(0).join('\n')}\n`);
    }
    if (out.length) process.stdout.write(`${out.join('\n')}\n`);
  });
}
