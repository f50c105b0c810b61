// Standard streams of the `bkv` CLI. Input: a regular file on stdin is read in 1 MiB pieces (Node's own stdin
// stream reads 64 KiB at a time, which costs a third of the throughput); pipes and terminals use process.stdin as
// they are. Output: a reader that goes away (`bkv ls latest | head`) ends the command quietly with
// EXIT_CLOSED_PIPE (client/cli/exit.ts), as SIGPIPE ends other Unix tools: Node ignores SIGPIPE, and the EPIPE
// would otherwise be an unhandled 'error' event with a stack trace.

import { createReadStream, fstatSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { EXIT_CLOSED_PIPE } from './exit.js';

export function stdinStream(): Readable {
  let regular = false;
  try {
    regular = fstatSync(0).isFile();
  } catch {
    regular = false;
  }
  return regular ? createReadStream('', { fd: 0, highWaterMark: 1024 * 1024, autoClose: false }) : process.stdin;
}

/** True for the error a write to a pipe (or socket) whose reader went away gets. */
export function isClosedPipe(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
}

let installed = false;

/** Ends the process quietly (EXIT_CLOSED_PIPE) when stdout or stderr is closed by its reader. */
export function endQuietlyOnClosedPipe(): void {
  if (installed) return;
  installed = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (isClosedPipe(e)) process.exit(EXIT_CLOSED_PIPE);
      // another error is its writer's (a pipeline destroys stdout with its own error and reports it itself);
      // with no one else listening it stays what it was: an error event no one handled
      if (stream.listenerCount('error') <= 1) throw e;
    });
  }
}
