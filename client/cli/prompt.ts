// Asking the user things: passwords without echo on a terminal (raw mode), or one line each from stdin when it
// is not a terminal (so `printf 'pw\n' | bkv restore dir` works); yes/no confirmations on a terminal only.
// A password is never echoed or logged. Prompts forgive on a terminal: two new passwords that differ are asked
// again (up to NEW_SECRET_TRIES times), and a mistyped 64-digit key is asked again with the position named.
// The 64-digit key echoes as typed, regrouped in fours like the paper it is copied from: it is no secret from the
// person at the keyboard, and seeing it is how they catch a typo. Anything typed before a prompt appears (the
// next shell command typed ahead while bkv started, say) is discarded, never taken as an answer: a password read
// from type-ahead would spend one of the vault's attempts.

import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClientError, isClientError } from '../errors.js';
import { BackupKey } from '../backup-key.js';

export interface PromptIO {
  stdin: NodeJS.ReadStream;
  stderr: NodeJS.WriteStream;
}

/** How many times a terminal asks again: new passwords that differ, a malformed 64-digit key. */
export const NEW_SECRET_TRIES = 3;
export const KEY_TRIES = 3;

/**
 * How long the terminal is read and dropped before a prompt appears. Pending type-ahead is already in the
 * kernel's buffer, so the first read returns it at once; the window only has to cover a slow first read.
 */
const TYPE_AHEAD_MS = 50;

const GROUP = 4;

function cancelled(): ClientError {
  return new ClientError('cancelled', 'cancelled');
}

export class Prompter {
  private lines: AsyncIterator<string> | undefined;

  constructor(private readonly io: PromptIO = { stdin: process.stdin, stderr: process.stderr }) {}

  /** True when both stdin and stderr are terminals: we may ask and confirm interactively. */
  get interactive(): boolean {
    return Boolean(this.io.stdin.isTTY && this.io.stderr.isTTY);
  }

  private say(line: string): void {
    this.io.stderr.write(`${line}\n`);
  }

  /** The next line of a non-terminal stdin, or undefined at its end. */
  private async nextLine(): Promise<string | undefined> {
    this.lines ??= createInterface({ input: this.io.stdin, crlfDelay: Infinity, terminal: false })[Symbol.asyncIterator]();
    const next = await this.lines.next();
    return next.done ? undefined : next.value;
  }

  /** Reads a secret: without echo on a terminal, else the next stdin line. `what` names it in errors. */
  async secret(question: string, what = 'password'): Promise<string> {
    if (!this.interactive) {
      const line = await this.nextLine();
      if (line === undefined || line === '') throw new ClientError('usage', `no ${what} given (stdin is not a terminal and has no line for it)`);
      return line;
    }
    const value = await this.readLine(question, 'hidden');
    if (value === '') throw new ClientError('usage', `empty ${what}`);
    return value;
  }

  /** Asks for a new secret twice on a terminal (again when the two differ); once (one stdin line) otherwise. */
  async newSecret(question: string, what = 'password'): Promise<string> {
    if (!this.interactive) return this.secret(question, what);
    for (let attempt = 1; ; attempt++) {
      const first = await this.secret(question, what);
      const again = await this.secret(`repeat ${what}: `, what);
      if (again === first) return first;
      if (attempt >= NEW_SECRET_TRIES) throw new ClientError('usage', `the two ${what}s differed ${NEW_SECRET_TRIES} times; nothing was changed`);
      this.say(`the two ${what}s differ; try again (${NEW_SECRET_TRIES - attempt} more ${NEW_SECRET_TRIES - attempt === 1 ? 'try' : 'tries'}).`);
    }
  }

  /**
   * Reads a 64-digit key: on a terminal echoed in groups of four and asked again (naming the position) while
   * malformed; otherwise the next stdin line. Returns K.
   */
  async backupKey(question = '64-digit backup key: '): Promise<BackupKey> {
    if (!this.interactive) return BackupKey.parse(await this.secret(question, '64-digit key'));
    this.say('type the 64-digit key; it shows as you type, in groups of four (it is on your paper anyway).');
    for (let attempt = 1; ; attempt++) {
      const text = await this.readLine(question, 'key');
      if (text === '') throw new ClientError('usage', 'empty 64-digit key');
      try {
        return BackupKey.parse(text);
      } catch (e) {
        if (!isClientError(e, 'usage')) throw e;
        const position = e.details.position;
        const where = typeof position === 'number'
          ? ` (group ${Math.floor((position - 1) / (GROUP + 1)) + 1}, digit ${((position - 1) % (GROUP + 1)) + 1})`
          : '';
        if (attempt >= KEY_TRIES) throw new ClientError('usage', `${e.message}${where}`, e.details);
        this.say(`${e.message}${where}; try again.`);
      }
    }
  }

  /** Yes/no on a terminal (default no); false when not interactive. */
  async confirm(question: string): Promise<boolean> {
    if (!this.interactive) return false;
    // a "y" typed ahead must not confirm the last password attempt
    const wasRaw = this.io.stdin.isRaw;
    this.io.stdin.setRawMode(true);
    try {
      await this.discardTypeAhead();
    } finally {
      this.io.stdin.setRawMode(wasRaw);
    }
    const rl = createInterface({ input: this.io.stdin, output: this.io.stderr, terminal: true });
    try {
      const answer = await new Promise<string>((resolve) => rl.question(`${question} [y/N] `, resolve));
      return /^y(es)?$/i.test(answer.trim());
    } finally {
      rl.close();
    }
  }

  /**
   * Drops whatever the terminal already holds (the caller has put it in raw mode). In raw mode every pending
   * byte, a half-typed line included, becomes readable at once; reading it for a moment and throwing it away is
   * tcflush(TCIFLUSH) without a native call. A Ctrl-C among it still cancels.
   */
  private async discardTypeAhead(): Promise<void> {
    const { stdin } = this.io;
    let interrupted = false;
    const onData = (data: Buffer | string) => {
      if (String(data).includes('\u0003')) interrupted = true;
    };
    stdin.on('data', onData);
    stdin.resume();
    await sleep(TYPE_AHEAD_MS);
    stdin.removeListener('data', onData);
    stdin.pause();
    while (stdin.read() !== null) { /* drop what the stream itself buffered */ }
    if (interrupted) throw cancelled();
  }

  /**
   * One line in raw mode: `hidden` echoes nothing; `key` echoes in dash-separated groups of four. Raw mode goes
   * on before the type-ahead is dropped and stays on until the answer is in: in cooked mode between the two, the
   * terminal itself would echo what is typed as soon as the prompt shows.
   */
  private async readLine(question: string, mode: 'hidden' | 'key'): Promise<string> {
    const { stdin, stderr } = this.io;
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    try {
      await this.discardTypeAhead();
    } catch (e) {
      stdin.setRawMode(wasRaw);
      throw e;
    }
    stderr.write(question);
    return new Promise((resolve, reject) => {
      let value = '';
      stdin.setEncoding('utf8');
      const finish = (err?: Error) => {
        stdin.setRawMode(wasRaw);
        stdin.pause();
        stdin.removeListener('data', onData);
        stderr.write('\n');
        if (err) reject(err);
        else resolve(value);
      };
      // In key mode `value` is what the screen shows: every character but a separator takes a digit's place,
      // and a dash goes in after each four, so a parse error's position is a column the person can see.
      const slots = () => value.replaceAll('-', '').length;
      const onData = (data: string) => {
        for (const ch of data) {
          if (ch === '\r' || ch === '\n') return finish();
          if (ch === '\u0003') return finish(cancelled());
          if (ch === '\u0004') {
            if (value === '') return finish(cancelled());
            return finish();
          }
          if (ch === '\u007f' || ch === '\b') {
            if (value === '') continue;
            const drop = mode === 'key' && value.length >= 2 && value.at(-2) === '-' ? 2 : 1;
            value = value.slice(0, -drop);
            if (mode === 'key') stderr.write('\b \b'.repeat(drop));
          } else if (ch >= ' ') {
            if (mode === 'hidden') {
              value += ch;
            } else if (ch !== ' ' && ch !== '-' && ch !== '\t') {
              const dash = slots() > 0 && slots() % GROUP === 0 ? '-' : '';
              value += dash + ch;
              stderr.write(dash + ch);
            }
          }
        }
      };
      stdin.on('data', onData);
      stdin.resume();
    });
  }
}
