// Test helper: runs the real `bkv` CLI (bin/bkv.js) inside a pseudo-terminal, under util-linux `script`
// (`script -qfec CMD /dev/null`: its stdin is copied to the terminal's input, the terminal's output to its
// stdout), so stdin and stderr are TTYs exactly as for a person. `type` writes keystrokes (use '\r' for Enter);
// `waitFor` waits until the output since the last `type` (ANSI sequences and CRs removed, backspaces applied)
// matches, so a pattern anchored with `$` is always matched against what the keystrokes caused, never a stale
// screen.

import { spawn, type ChildProcess } from 'node:child_process';
import { BKV_BIN, cliEnv } from './cli.js';

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

export interface Terminal {
  /** Everything the terminal showed so far. */
  readonly output: string;
  /** The bytes the terminal got, ANSI sequences and CRs included (to see where a line was cleared). */
  readonly raw: string;
  type(keys: string): void;
  /** Waits for `pattern` in the output since the last `type`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Output after the given index (to look only at what came after a point). */
  since(index: number): string;
  exited: Promise<number | null>;
  kill(): void;
}

export function bkvInTerminal(args: string[], env: Record<string, string | undefined>): Terminal {
  const command = [process.execPath, BKV_BIN, ...args].map(shellQuote).join(' ');
  const child: ChildProcess = spawn('script', ['-qfec', command, '/dev/null'], { env: cliEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  let raw = '';
  let screen = '';
  let mark = 0;
  const waiters = new Set<() => void>();
  const onOutput = (d: string) => {
    raw += d;
    // eslint-disable-next-line no-control-regex
    screen = raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
    // a backspace moves back over the character before it (`x\b \b` erases the x)
    // eslint-disable-next-line no-control-regex
    for (let before = ''; before !== screen;) [before, screen] = [screen, screen.replace(/[^\n\b]\x08/g, '')];
    for (const w of [...waiters]) w();
  };
  child.stdout!.setEncoding('utf8').on('data', onOutput);
  child.stderr!.setEncoding('utf8').on('data', onOutput);
  let done = false;
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => {
    done = true;
    for (const w of [...waiters]) w();
    resolve(code);
  }));
  return {
    get output() { return screen; },
    get raw() { return raw; },
    type(keys) {
      mark = screen.length;
      child.stdin!.write(keys);
    },
    since(index) { return screen.slice(index); },
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = screen.slice(mark).match(pattern);
          if (m) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(m);
          } else if (done) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`exited before ${pattern}; screen:\n${screen}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; screen:\n${screen}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    exited,
    kill() { child.kill('SIGKILL'); },
  };
}
