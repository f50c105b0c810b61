// `npm start` as a child process (local/main.ts under tsx) on a given port and data dir, for tests of the real
// entry point: start-up, restarts, a full disk. `ready` resolves with the URL once it says it listens.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export interface NpmStart {
  child: ChildProcessWithoutNullStreams;
  ready: Promise<string>;
  exit: Promise<number | null>;
  output: () => string;
}

export function startNpmStart(port: number, dataDir: string): NpmStart {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    env: { ...process.env, BKV_PORT: String(port), BKV_DATA_DIR: dataDir },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    void exit.then((code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  return { child, ready, exit, output: () => out };
}
