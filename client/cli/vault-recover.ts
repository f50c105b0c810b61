// Password recovery for the CLI, in a worker thread: OPAQUE's Argon2id touches 64 MiB of WASM memory that a WASM
// instance never gives back, and a restore would otherwise carry it through the whole download. The worker script
// is the session's `vaultWorker`, which bin/bkv.js passes explicitly: the worker bundle beside the CLI bundle in
// dist/cli/, or client/cli/vault-worker.ts, which then runs under tsx's loader inside the worker. Without one (a
// program using Session directly) recovery runs in this thread.

import { BkvError } from '../../protocol/errors.js';
import { ClientError } from '../errors.js';
import { startWorker } from '../worker-script.js';
import type { RecoverReply, RecoverRequest } from './vault-worker.js';
import type { Session } from './session.js';

export async function recoverWithPassword(session: Session, password: string): Promise<Uint8Array> {
  const script = session.vaultWorker;
  if (!script) return (await session.vault()).recover(password);
  const request: RecoverRequest = {
    server: await session.server(), token: await session.token(), accountId: await session.account(), password, realmSet: await session.realmSet(),
  };
  const reply = await new Promise<RecoverReply>((resolve, reject) => {
    const worker = startWorker(script, { workerData: request });
    let answered = false;
    worker.once('message', (m: RecoverReply) => {
      answered = true;
      resolve(m);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`password recovery stopped (${code})`));
    });
  });
  if (reply.ok) {
    for (const notice of reply.notices) session.say(notice);
    return new Uint8Array(reply.key);
  }
  if ('kind' in reply) throw new ClientError(reply.kind, reply.message, reply.details);
  if ('code' in reply) throw new BkvError(reply.code, reply.message, { details: reply.details });
  throw new Error(reply.message);
}
