// Standard input for the streaming `bkv` commands: a regular file on stdin is read in 1 MiB pieces (Node's own
// stdin stream reads 64 KiB at a time, which costs a third of the throughput); pipes and terminals use
// process.stdin as they are.

import { createReadStream, fstatSync } from 'node:fs';
import type { Readable } from 'node:stream';

export function stdinStream(): Readable {
  let regular = false;
  try {
    regular = fstatSync(0).isFile();
  } catch {
    regular = false;
  }
  return regular ? createReadStream('', { fd: 0, highWaterMark: 1024 * 1024, autoClose: false }) : process.stdin;
}
