// `bkv dump <snapshot> <path>`: one file of a snapshot to stdout (ranged reads, in order).

import { hostname } from 'node:os';
import { dumpFile } from '../../repo/commands/dump.js';
import { findSnapshot } from '../../repo/snapshots/find.js';
import { Session } from '../session.js';
import { type RepoFlags, withRepository } from './repo-common.js';

export async function dump(ref: string, path: string, flags: RepoFlags, session = new Session(flags)): Promise<void> {
  await withRepository(flags, session, async (repo, signal) => {
    const snapshot = await findSnapshot(repo, ref, { host: hostname(), signal });
    await dumpFile(repo, snapshot, path, process.stdout, { signal });
  });
}
