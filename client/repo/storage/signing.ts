// K's request signer (docs/protocol.md "Signed requests"): the Ed25519 key derived from the backup key K
// (protocol/repo-signature.ts) that signs every mutating repository request, so a stolen bearer token alone can
// change nothing in the repository. A fresh random nonce and a short expiry per request; never logged.

import { randomBytes, type KeyObject } from 'node:crypto';
import {
  CLIENT_SIGNATURE_LIFE_S, NONCE_BYTES, publicKeyOf, signatureHeader, signingPrivateKey, signingSeed,
} from '../../../protocol/repo-signature.js';

export interface RequestToSign {
  account: string;
  repositoryId: string;
  routeId: string;
  method: string;
  path: string;
  /** The exact body text sent (JSON), or undefined for none. */
  body: string | undefined;
}

export class RequestSigner {
  /** base64url of the Ed25519 public key: what the repository records. */
  readonly publicKey: string;
  private readonly key: KeyObject;

  constructor(backupKey: Uint8Array, private readonly now: () => number = Date.now) {
    this.key = signingPrivateKey(signingSeed(backupKey));
    this.publicKey = publicKeyOf(this.key);
  }

  /** The `Bkv-Signature` header value for one request (one use: a new nonce every call). */
  header(r: RequestToSign): string {
    return signatureHeader(this.key, {
      account: r.account, repositoryId: r.repositoryId, routeId: r.routeId, method: r.method, path: r.path,
      body: Buffer.from(r.body ?? '', 'utf8'), nonce: randomBytes(NONCE_BYTES), expires: Math.floor(this.now() / 1000) + CLIENT_SIGNATURE_LIFE_S,
    });
  }
}
