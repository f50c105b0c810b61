// Errors of the age layer (c2sp.org/age): `AgeError`, whose `check` says which stage failed, with the same four
// outcomes the CCTV age test vectors distinguish:
//   'header'   the header does not parse (or a stanza addressed to us is malformed), or the input is not age;
//   'no-match' the header parses but no stanza unwraps with the identities given: the wrong key;
//   'hmac'     a stanza unwrapped but the header MAC does not match: the header was changed;
//   'payload'  the STREAM payload is damaged, truncated, reordered or has data after its final chunk.
// It is a client-local error (client/errors.ts) and carries its kind itself, because the streams emit it
// straight to the caller's pipeline: 'no-match' is kind 'wrong-key', every other check kind 'damaged' (with
// `details.check`). Nothing on a server failed, so it never has a problem code.

import { ClientError } from '../errors.js';

export type AgeErrorKind = 'header' | 'hmac' | 'no-match' | 'payload';

export class AgeError extends ClientError<'wrong-key' | 'damaged'> {
  readonly check: AgeErrorKind;

  constructor(check: AgeErrorKind, message: string, options: { cause?: unknown } = {}) {
    super(check === 'no-match' ? 'wrong-key' : 'damaged', message, check === 'no-match' ? {} : { check }, options);
    this.name = 'AgeError';
    this.check = check;
  }
}

export function isAgeError(e: unknown, check?: AgeErrorKind): e is AgeError {
  return e instanceof AgeError && (check === undefined || e.check === check);
}
