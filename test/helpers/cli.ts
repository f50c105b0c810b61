// Test helper: runs the real `bkv` CLI (bin/bkv.js) in a child process with a controlled environment (no BKV_*
// leaking in from the outer shell), optional stdin, and a timeout; returns the exit code and both outputs.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TEST_RUNTIMES } from './local.js';

export const BKV_BIN = resolve(import.meta.dirname, '../../bin/bkv.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The child's environment: no BKV_* from the outer shell. A test that names an account (`BKV_ACCOUNT`) for a
 * runtime of this process, without a token, gets the local shortcut (`BKV_LOCAL_SECRET_FILE`, that runtime's
 * secret file), as the old "any local process gets a token" did; tests of the real sign-in name no account.
 */
export function cliEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('BKV_')) base[k] = v;
  const secretFile = env.BKV_ACCOUNT && !env.BKV_TOKEN && env.BKV_SERVER ? TEST_RUNTIMES.get(env.BKV_SERVER) : undefined;
  const merged: NodeJS.ProcessEnv = { ...base, NO_COLOR: '1', ...(secretFile ? { BKV_LOCAL_SECRET_FILE: secretFile } : {}) };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  return merged;
}

export function spawnBkv(args: string[], env: Record<string, string | undefined>): ChildProcess {
  return spawn(process.execPath, [BKV_BIN, ...args], { env: cliEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
}

export function bkv(args: string[], env: Record<string, string | undefined>, input?: string, timeoutMs = 240_000): Promise<CliResult> {
  const child = spawnBkv(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin!.end(input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((res, rej) => {
    child.on('error', rej);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      res({ code, signal, stdout, stderr });
    });
  });
}

const devices: string[] = [];

/** A fresh $BKV_HOME: a new "device". Remove them all with `removeDevices` (they hold backup keys). */
export async function newDevice(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'bkv-home-'));
  devices.push(home);
  return home;
}

export async function removeDevices(): Promise<void> {
  await Promise.all(devices.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}
