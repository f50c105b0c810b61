// Asking the user things: passwords without echo on a terminal (raw mode), or one line each from stdin when it
// is not a terminal (so `printf 'pw\n' | bkv restore dir` works); yes/no confirmations on a terminal only.
// Nothing typed is ever echoed or logged.

import { createInterface } from 'node:readline';
import { BkvError } from '../../protocol/errors.js';

export interface PromptIO {
  stdin: NodeJS.ReadStream;
  stderr: NodeJS.WriteStream;
}

export class Prompter {
  private lines: AsyncIterator<string> | undefined;

  constructor(private readonly io: PromptIO = { stdin: process.stdin, stderr: process.stderr }) {}

  /** True when both stdin and stderr are terminals: we may ask and confirm interactively. */
  get interactive(): boolean {
    return Boolean(this.io.stdin.isTTY && this.io.stderr.isTTY);
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
      if (line === undefined || line === '') throw new BkvError('bad-request', `no ${what} given (stdin is not a terminal and has no line for it)`);
      return line;
    }
    const value = await this.readHidden(question);
    if (value === '') throw new BkvError('bad-request', `empty ${what}`);
    return value;
  }

  /** Asks for a new secret twice on a terminal; once (one stdin line) otherwise. */
  async newSecret(question: string, what = 'password'): Promise<string> {
    const first = await this.secret(question, what);
    if (!this.interactive) return first;
    const again = await this.secret(`repeat ${what}: `, what);
    if (again !== first) throw new BkvError('bad-request', `the two ${what}s differ`);
    return first;
  }

  /** Yes/no on a terminal (default no); false when not interactive. */
  async confirm(question: string): Promise<boolean> {
    if (!this.interactive) return false;
    const rl = createInterface({ input: this.io.stdin, output: this.io.stderr, terminal: true });
    try {
      const answer = await new Promise<string>((resolve) => rl.question(`${question} [y/N] `, resolve));
      return /^y(es)?$/i.test(answer.trim());
    } finally {
      rl.close();
    }
  }

  private readHidden(question: string): Promise<string> {
    const { stdin, stderr } = this.io;
    stderr.write(question);
    return new Promise((resolve, reject) => {
      let value = '';
      const wasRaw = stdin.isRaw;
      stdin.setRawMode(true);
      stdin.resume();
      stdin.setEncoding('utf8');
      const finish = (err?: Error) => {
        stdin.setRawMode(wasRaw);
        stdin.pause();
        stdin.removeListener('data', onData);
        stderr.write('\n');
        if (err) reject(err);
        else resolve(value);
      };
      const onData = (data: string) => {
        for (const ch of data) {
          if (ch === '\r' || ch === '\n') return finish();
          if (ch === '\u0003') return finish(new BkvError('bad-request', 'cancelled'));
          if (ch === '\u0004') {
            if (value === '') return finish(new BkvError('bad-request', 'cancelled'));
            return finish();
          }
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
          else if (ch >= ' ') value += ch;
        }
      };
      stdin.on('data', onData);
    });
  }
}
