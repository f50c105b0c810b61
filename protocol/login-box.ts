// The login box (docs/protocol.md "Login box"): how the vault returns the sealed key inside the OPAQUE session,
// so API Gateway, Lambda logs and any TLS-terminating relay never see it.
//   key   = HKDF-SHA256(ikm = OPAQUE session key, salt = empty, info = "bkv/v1/login-box", L = 32)
//   box   = nonce(12) ‖ AES-256-GCM(key, nonce, sealedKey, aad = UTF-8(loginId)) ‖ tag(16)

import { decodeBase64url } from './base64url.js';
import { BkvError } from './errors.js';
import { HKDF_LABELS } from './constants.js';
import { gcmOpen, gcmSeal, hkdf32 } from './aead.js';
import type { RandomBytes } from './random.js';

function boxKey(sessionKey: string): Uint8Array {
  const ikm = decodeBase64url(sessionKey);
  if (ikm === undefined || ikm.length !== 64) throw new BkvError('bad-request', 'session key must be 64 bytes');
  return hkdf32(ikm, HKDF_LABELS.loginBox);
}

export function sealLoginBox(sessionKey: string, loginId: string, sealedKey: Uint8Array, random?: RandomBytes): Uint8Array {
  return gcmSeal(boxKey(sessionKey), sealedKey, Buffer.from(loginId, 'utf8'), random);
}

export function openLoginBox(sessionKey: string, loginId: string, box: Uint8Array): Uint8Array {
  const out = gcmOpen(boxKey(sessionKey), box, Buffer.from(loginId, 'utf8'));
  if (out === undefined) throw new BkvError('bad-request', 'login box does not authenticate');
  return out;
}
