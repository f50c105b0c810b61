// Worker-thread entry for password recovery: runs VaultClient.recover (OPAQUE with Argon2id, m = 64 MiB) in its own
// isolate and posts K back, so the Argon2 memory (WASM memory never shrinks) is freed with the worker before the
// CLI downloads and unpacks a backup. See vault-recover.ts.

import { parentPort, workerData } from 'node:worker_threads';
import { BkvError } from '../../protocol/errors.js';
import { ClientError, type ClientErrorKind } from '../errors.js';
import { nodeFetch } from '../node-fetch.js';
import { VaultClient } from '../vault-client.js';
import type { RealmSet } from '../../protocol/realm/schemas.js';

export interface RecoverRequest {
  server: string;
  token: string;
  accountId: string;
  password: string;
  /** The pinned realm set (client/cli/realm-pin.ts), or null for the single vault. */
  realmSet: RealmSet | null;
}

export type RecoverReply =
  /** `notices`: what VaultClient's onNotice said, for the CLI to print. */
  | { ok: true; key: Uint8Array; notices: string[] }
  | { ok: false; code: BkvError['code']; message: string; details: Record<string, unknown> }
  | { ok: false; kind: ClientErrorKind; message: string; details: ClientError['details'] }
  | { ok: false; message: string };

const request = workerData as RecoverRequest;
let reply: RecoverReply;
const notices: string[] = [];
try {
  const key = await new VaultClient({
    server: request.server, token: request.token, accountId: request.accountId, fetch: nodeFetch, realmSet: request.realmSet,
    onNotice: (m) => notices.push(m),
  }).recover(request.password);
  reply = { ok: true, key, notices };
} catch (e) {
  // errors do not keep their class across threads: send what rebuilds them
  reply = e instanceof BkvError ? { ok: false, code: e.code, message: e.message, details: e.details }
    : e instanceof ClientError ? { ok: false, kind: e.kind, message: e.message, details: e.details }
      : { ok: false, message: e instanceof Error ? e.message : String(e) };
}
parentPort!.postMessage(reply);
