// Exit codes of the `bkv` CLI (README "Exit codes"): the one map from an error to the code `run` exits with.
//   0 ok · 1 failure (server, network, files) · 2 usage or bad input · 3 wrong password or wrong key
//   4 locked: the vault destroyed the key · 5 the backup is damaged or was tampered with
//   6 backup committed but incomplete: some files could not be read (the snapshot says which)
//   141 stdout or stderr closed by its reader (EXIT_CLOSED_PIPE), quietly
// A client-local error (client/errors.ts) maps by its kind, a server's answer (BkvError) by its problem code;
// anything else (a bug, an unexpected system error) is a failure. test/cli/exit-codes.test.ts holds the README's
// table to these two maps.

import { BkvError } from '../../protocol/errors.js';
import type { ProblemCode } from '../../protocol/problems.js';
import { isClientError, type ClientErrorKind } from '../errors.js';

export const EXIT = { ok: 0, failure: 1, usage: 2, wrongSecret: 3, locked: 4, damaged: 5, incomplete: 6 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Client-local kind → exit code. */
export const EXIT_FOR_KIND: { readonly [K in ClientErrorKind]: ExitCode } = {
  'usage': EXIT.usage,
  'cancelled': EXIT.usage,
  'unsafe-archive': EXIT.usage,
  'wrong-key': EXIT.wrongSecret,
  'damaged': EXIT.damaged,
  'file-system': EXIT.failure,
  'unreachable': EXIT.failure,
  'sign-in': EXIT.failure,
  'bad-answer': EXIT.failure,
  'incomplete': EXIT.incomplete,
};

/** Problem code of a server's answer → exit code. */
export const EXIT_FOR_CODE: { readonly [C in ProblemCode]: ExitCode } = {
  'bad-request': EXIT.usage,
  'payload-too-large': EXIT.usage,
  'wrong-password': EXIT.wrongSecret,
  'locked': EXIT.locked,
  'invalid-token': EXIT.failure,
  'login-expired': EXIT.failure,
  'forbidden': EXIT.failure,
  'not-found': EXIT.failure,
  'method-not-allowed': EXIT.failure,
  'conflict': EXIT.failure,
  'registration-expired': EXIT.failure,
  'unsupported-media-type': EXIT.failure,
  'too-many-requests': EXIT.failure,
  'internal': EXIT.failure,
  'unavailable': EXIT.failure,
  'insufficient-storage': EXIT.failure,
  'repository-locked': EXIT.failure,
  'lock-lost': EXIT.failure,
  'quota-exceeded': EXIT.failure,
  'signature-required': EXIT.failure,
  'signature-invalid': EXIT.failure,
  'signature-expired': EXIT.failure,
  'signature-replayed': EXIT.failure,
  'signing-key-missing': EXIT.failure,
  // another backup key's signing key is registered for the account's repository
  'signing-key-mismatch': EXIT.wrongSecret,
  // the account's repository is under another backup key than this device's
  'repository-exists': EXIT.wrongSecret,
};

/**
 * Standard output (or error) closed by its reader (`bkv ls latest | head`): the command stops at once, prints
 * nothing more, and exits 141, what a shell reports for a process ended by SIGPIPE (as `cat`, `git` or restic
 * do), so `set -o pipefail` still sees that output was cut short.
 */
export const EXIT_CLOSED_PIPE = 141;

export function exitCodeFor(e: unknown): ExitCode {
  if (isClientError(e)) return EXIT_FOR_KIND[e.kind];
  if (e instanceof BkvError) return EXIT_FOR_CODE[e.code];
  return EXIT.failure;
}
