// Lines for humans on stderr, kept apart from a progress bar (client/cli/progress.ts): while a bar is on the
// terminal, a line (a warning, "this device now keeps…") clears the bar's line and takes its place; the bar draws
// itself again below at its next tick. Without this the line lands at the end of the bar's line. A module of its
// own so that every command can say things without loading cli-progress.

import { clearLine, cursorTo } from 'node:readline';

let barStream: NodeJS.WriteStream | undefined;

/** The stream a bar is drawn on now (undefined: none). */
export function setActiveBar(stream: NodeJS.WriteStream | undefined): void {
  barStream = stream;
}

/** Writes `line` on `stream` (stderr), above a bar if one is shown there. */
export function sayLine(line: string, stream: NodeJS.WriteStream = process.stderr): void {
  if (barStream === stream) {
    cursorTo(stream, 0);
    clearLine(stream, 0);
  }
  stream.write(`${line}\n`);
}
