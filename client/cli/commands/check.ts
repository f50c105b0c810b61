// `bkv check [--read-data]`: the repository's structure (and with --read-data every byte); exit 5 on damage.
// `--json`: one object on stdout, {"ok","snapshots","packs","blobs","readData","errors":[…]} (also when it exits 5),
// progress as JSON lines on stderr.

import { check as runCheck } from '../../repo/commands/check.js';
import { ClientError } from '../../errors.js';
import { countOf, openProgress, progressMode } from '../progress.js';
import { Session } from '../session.js';
import { type RepoFlags, withRepository } from './repo-common.js';

export interface CheckFlags extends RepoFlags {
  readData?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export async function check(flags: CheckFlags, session = new Session(flags)): Promise<void> {
  const mode = flags.json || flags.quiet ? progressMode(flags) : process.stderr.isTTY ? 'bar' : 'lines';
  const progress = openProgress(flags.readData ? 'check --read-data' : 'check', mode, { amount: countOf('packs'), unit: 'packs' });
  let r;
  try {
    r = await withRepository(flags, session, (repo, signal) => runCheck(repo, {
      readData: flags.readData, signal, onProgress: (p) => progress.update({ done: p.packs, total: p.totalPacks }),
    }));
  } finally {
    progress.stop();
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ok: r.errors.length === 0, snapshots: r.snapshots, packs: r.packs, blobs: r.blobs, readData: Boolean(flags.readData), errors: r.errors })}\n`);
  } else {
    for (const e of r.errors) session.say(`error: ${e}`);
  }
  if (r.errors.length > 0) throw new ClientError('damaged', `the repository is damaged: ${r.errors.length} error(s)`, { check: 'structure' });
  if (!flags.json && !flags.quiet) session.say(`no errors: ${r.snapshots} snapshots, ${r.packs} packs, ${r.blobs} blobs${flags.readData ? ', every byte read and verified' : ''}`);
}
