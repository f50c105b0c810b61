// Client-local errors: what goes wrong on this device and never travels as a problem document. One class,
// `ClientError`, whose `kind` says what happened and whose `details` are typed per kind (juicebox-sdk's error
// enums are the model). Messages are short, lowercase and never hold a secret; `cause` keeps the underlying error.
// Errors a server answered stay `BkvError` with their problem code (protocol/problems.ts); the CLI maps both to
// exit codes in one place (client/cli/exit.ts).
//   usage          bad arguments or bad input from the caller (a malformed 64-digit key, a non-empty target…)
//   cancelled      the user (or an AbortSignal) said no
//   wrong-key      the backup was not made with this key (age: no stanza unwraps)
//   damaged        the backup is damaged or was tampered with (age: header, header mac or payload check failed)
//   unsafe-archive the decrypted archive holds an entry that would land outside the target, or is malformed
//   file-system    reading or writing a local file failed (ENOSPC, EACCES, EIO…): names the path and errno
//   unreachable    no answer from the server or the storage (network error, or retries used up)
//   sign-in        this device has no usable sign-in: not signed in, the identity provider refused or answered
//                  without what the sign-in needs, no answer from the browser in time, or a sign-in for another
//                  account (a server's own 401 stays a BkvError 'invalid-token')
//   bad-answer     the server or the storage answered outside the protocol, or refused with a plain status
//   incomplete     a backup was committed without some files it could not read (each was named in a warning)

import { getSystemErrorMap } from 'node:util';

/** The typed details of each kind. */
export interface ClientErrorDetails {
  'usage': { position?: number; digits?: number; path?: string; errno?: string; pattern?: string };
  'cancelled': Record<never, never>;
  'wrong-key': Record<never, never>;
  'damaged': { check: 'header' | 'hmac' | 'payload' | 'length' | 'structure' | 'rollback' };
  'unsafe-archive': { entry?: string };
  'file-system': { path: string; errno: string; syscall?: string };
  'unreachable': { host?: string; attempts?: number };
  'sign-in': { server?: string };
  'bad-answer': { from: 'server' | 'storage'; status?: number };
  'incomplete': { skipped: number };
}

export type ClientErrorKind = keyof ClientErrorDetails;

export const CLIENT_ERROR_KINDS = [
  'usage', 'cancelled', 'wrong-key', 'damaged', 'unsafe-archive', 'file-system', 'unreachable', 'sign-in', 'bad-answer', 'incomplete',
] as const satisfies readonly ClientErrorKind[];

type OptionalArgs<K extends ClientErrorKind> = Record<never, never> extends ClientErrorDetails[K]
  ? [details?: ClientErrorDetails[K], options?: { cause?: unknown }]
  : [details: ClientErrorDetails[K], options?: { cause?: unknown }];

export class ClientError<K extends ClientErrorKind = ClientErrorKind> extends Error {
  readonly kind: K;
  readonly details: ClientErrorDetails[K];

  constructor(kind: K, message: string, ...[details, options]: OptionalArgs<K>) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ClientError';
    this.kind = kind;
    this.details = details ?? ({} as ClientErrorDetails[K]);
  }
}

export function isClientError<K extends ClientErrorKind>(e: unknown, kind?: K): e is ClientError<K> {
  return e instanceof ClientError && (kind === undefined || e.kind === kind);
}

/** An error of the operating system (a node:fs or node:net failure), not one of ours or a parser's. */
export function isSystemError(e: unknown): e is NodeJS.ErrnoException & { code: string; syscall: string } {
  const s = e as NodeJS.ErrnoException | undefined;
  return s instanceof Error && typeof s.code === 'string' && typeof s.syscall === 'string';
}

const ERRNO_TEXT = new Map([...getSystemErrorMap().values()].map(([name, text]) => [name, text.toLowerCase()]));

/**
 * The one spelling of an errno in messages: the system's own text, lowercase (`ENOENT` → `no such file or
 * directory`, `ENOSPC` → `no space left on device`); a code the system does not know stays as it is, lowercase.
 */
export function errnoText(code: string): string {
  return ERRNO_TEXT.get(code) ?? code.toLowerCase();
}

const READS = new Set(['open', 'read', 'stat', 'lstat', 'fstat', 'scandir', 'opendir', 'readlink', 'access', 'realpath', 'statfs', 'lgetxattr', 'llistxattr']);

/** `cannot read /nope: no such file or directory` for a system error (the verb from its syscall). */
export function describeSystemError(e: NodeJS.ErrnoException & { code: string; syscall: string; dest?: string }): string {
  const verb = READS.has(e.syscall) ? 'read' : ['connect', 'getaddrinfo'].includes(e.syscall) ? 'reach' : e.syscall === 'write' ? 'write' : e.syscall;
  return `cannot ${verb}${e.path ? ` ${e.path}` : ''}${e.dest ? ` to ${e.dest}` : ''}: ${errnoText(e.code)}`;
}

/** `cannot write <path>: no space left on device` as a 'file-system' ClientError; other errors pass through. */
export function fileSystemError(e: unknown, verb: string, path: string): unknown {
  if (!isSystemError(e)) return e;
  return new ClientError('file-system', `cannot ${verb} ${path}: ${errnoText(e.code)}`, { path, errno: e.code, syscall: e.syscall }, { cause: e });
}

/** The host of a URL, for messages (never its path or query, which may hold presigned credentials). */
export function hostOf(url: string | URL): string {
  try {
    return new URL(url).host;
  } catch {
    return 'server';
  }
}
