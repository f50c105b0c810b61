// Exit codes of the `bkv` CLI (README "CLI exit codes") and the error → code mapping `run` applies.
//   0 ok · 1 failure (server, network, files) · 2 usage or bad input · 3 wrong password or wrong key
//   4 locked: the vault destroyed the key · 5 the backup is damaged or was tampered with
//   6 backup committed but incomplete: some files could not be read (the snapshot says which)

import { BkvError, type BkvErrorOptions, type ErrorCode } from '../../protocol/errors.js';

export const EXIT = { ok: 0, failure: 1, usage: 2, wrongSecret: 3, locked: 4, damaged: 5, incomplete: 6 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A BkvError that names its own exit code (used where the error code alone does not say it). */
export class ExitError extends BkvError {
  constructor(code: ErrorCode, message: string, readonly exitCode: ExitCode, options: BkvErrorOptions = {}) {
    super(code, message, options);
  }
}

export function exitCodeFor(e: unknown): ExitCode {
  if (e instanceof ExitError) return e.exitCode;
  if (e instanceof BkvError) {
    if (e.code === 'bad-request' || e.code === 'payload-too-large') return EXIT.usage;
    if (e.code === 'wrong-password') return EXIT.wrongSecret;
    if (e.code === 'locked') return EXIT.locked;
  }
  return EXIT.failure;
}
