// Errors of the age layer (c2sp.org/age): one class, `AgeError`, whose `kind` says which stage failed, with the
// same four outcomes the CCTV age test vectors distinguish:
//   'header'   the header does not parse (or a stanza addressed to us is malformed), or the input is not age;
//   'no-match' the header parses but no stanza unwraps with the identities given: the wrong key;
//   'hmac'     a stanza unwrapped but the header MAC does not match: the header was changed;
//   'payload'  the STREAM payload is damaged, truncated, reordered or has data after its final chunk.
// It is a BkvError with code 'bad-request' (the bytes or the key given are wrong; nothing on a server failed).

import { BkvError } from '../../protocol/errors.js';

export type AgeErrorKind = 'header' | 'hmac' | 'no-match' | 'payload';

export class AgeError extends BkvError {
  readonly kind: AgeErrorKind;

  constructor(kind: AgeErrorKind, message: string, options: { cause?: unknown } = {}) {
    super('bad-request', message, { ...options, details: { kind } });
    this.name = 'AgeError';
    this.kind = kind;
  }
}

export function isAgeError(e: unknown, kind?: AgeErrorKind): e is AgeError {
  return e instanceof AgeError && (kind === undefined || e.kind === kind);
}
