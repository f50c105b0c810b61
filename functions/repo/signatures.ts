// Verification of signed repository requests (docs/protocol.md "Signed requests"), done before a mutating route
// does anything: the header's shape, the expiry window, the account's registered key (or, when registering, the
// key being registered: proof of possession), the Ed25519 signature over account, repository id, route, path,
// body, nonce and expiry, and last the nonce, recorded once by one conditional write. Each failure is a 4xx and
// changes nothing (the nonce is recorded only for a valid signature).

import type { KeyObject } from 'node:crypto';
import { BkvError } from '../../protocol/errors.js';
import {
  importPublicKey, MAX_SIGNATURE_AHEAD_S, parseSignatureHeader, SIGNATURE_HEADER, verifySignature,
} from '../../protocol/repo-signature.js';
import type { ApiEvent } from '../http/request.js';
import type { Clock, RepoItemStore } from '../ports.js';

/** The parts of a request the signature covers, taken from the event as received. */
export interface SignedRequest {
  routeId: string;
  method: string;
  path: string;
  body: Uint8Array;
  header: string | undefined;
}

/** A key being registered with this request (it signs the request itself), and the repository id it is for. */
export interface Registering {
  signingKey: string;
  repositoryId?: string;
}

/** The request's signed parts: `path` is the route's path with its parameters filled in (no stage, no query). */
export function signedRequest(event: ApiEvent, routeId: string, method: string, path: string): SignedRequest {
  let header: string | undefined;
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === SIGNATURE_HEADER) header = v;
  const raw = event.body ?? '';
  return { routeId, method, path, body: Buffer.from(raw, event.isBase64Encoded ? 'base64' : 'utf8'), header };
}

const keys = new Map<string, KeyObject>();

function publicKey(base64url: string): KeyObject {
  let key = keys.get(base64url);
  if (key === undefined) {
    try {
      key = importPublicKey(base64url);
    } catch {
      throw new BkvError('signature-invalid', 'the signing key is not an ed25519 public key');
    }
    if (keys.size > 1000) keys.clear();
    keys.set(base64url, key);
  }
  return key;
}

export async function verifySigned(items: RepoItemStore, clock: Clock, account: string, request: SignedRequest, registering?: Registering): Promise<void> {
  if (request.header === undefined) throw new BkvError('signature-required', 'this request must be signed with the repository\'s signing key');
  const parsed = parseSignatureHeader(request.header);
  if (parsed === undefined) throw new BkvError('signature-invalid', 'the signature header is malformed');
  const now = clock.now();
  const expiresAt = parsed.expires * 1000;
  if (expiresAt <= now || expiresAt > now + MAX_SIGNATURE_AHEAD_S * 1000) {
    throw new BkvError('signature-expired', 'the signature has expired or expires too far ahead (check the clock)', {
      details: { serverTime: new Date(now).toISOString() },
    });
  }
  const item = await items.get(account);
  if (registering !== undefined && item?.signingKey !== undefined && item.signingKey !== registering.signingKey) {
    throw new BkvError('signing-key-mismatch', 'another signing key is registered for this repository');
  }
  const key = registering?.signingKey ?? item?.signingKey;
  if (key === undefined) throw new BkvError('signing-key-missing', 'the repository has no signing key yet: register it first');
  const repositoryId = registering?.repositoryId ?? item?.repositoryId ?? '';
  const fields = { account, repositoryId, routeId: request.routeId, method: request.method, path: request.path, body: request.body, ...parsed };
  if (!verifySignature(publicKey(key), fields, parsed.signature)) throw new BkvError('signature-invalid', 'the signature does not match this request');
  const used = await items.useNonce(account, Buffer.from(parsed.nonce).toString('base64url'), expiresAt, now);
  if (used === 'replayed') throw new BkvError('signature-replayed', 'this signature was already used');
  if (used === 'full') throw new BkvError('too-many-requests', 'too many signed requests, retry in a few minutes');
}
