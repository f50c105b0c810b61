// Password recovery for the CLI, in a worker thread when the CLI runs from its bundle (bin/bkv.js puts the
// worker bundle's path under Symbol.for('bkv.vaultWorker')): OPAQUE's Argon2id touches 64 MiB of WASM memory
// that a WASM instance never gives back, and a restore would otherwise carry it through the whole download.
// Without the bundle (tsx, tests) it runs in this thread.

import { Worker } from 'node:worker_threads';
import { BkvError } from '../../protocol/errors.js';
import { ClientError } from '../errors.js';
import type { RecoverReply, RecoverRequest } from './vault-worker.js';
import type { Session } from './session.js';

const WORKER_KEY = Symbol.for('bkv.vaultWorker');

function workerPath(): string | undefined {
  const path = (globalThis as Record<symbol, unknown>)[WORKER_KEY];
  return typeof path === 'string' ? path : undefined;
}

export async function recoverWithPassword(session: Session, password: string): Promise<Uint8Array> {
  const path = workerPath();
  if (!path) return (await session.vault()).recover(password);
  const request: RecoverRequest = { server: await session.server(), token: await session.token(), accountId: await session.account(), password };
  const reply = await new Promise<RecoverReply>((resolve, reject) => {
    const worker = new Worker(path, { workerData: request });
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
  if (reply.ok) return new Uint8Array(reply.key);
  if ('kind' in reply) throw new ClientError(reply.kind, reply.message, reply.details);
  if ('code' in reply) throw new BkvError(reply.code, reply.message, { details: reply.details });
  throw new Error(reply.message);
}
