// Shared set-up of the interrupt tests (interrupt-*.test.ts): a runtime whose clock can skip a SIGKILLed
// command's lock ttl, a device with a 64-digit key and one committed snapshot, commands sent a signal after a
// delay, seeded delays, and "check is clean and the committed snapshots restore byte-identical".

import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { newDevice, removeDevices, spawnBkv, type CliResult } from '../helpers/cli.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';
import { DEFAULT_LOCK_TTL_S } from '../../protocol/repo-schemas.js';
import { describe, device, makeTree, noise, parseSnapshots, scratch, type Device } from './snapshot-trees.js';

export let rt: TestRuntime;
export let dev: Device;
export let work: string;
export let src: string;
export const ACCOUNT = 'ivan';
/** The runtime's clock: real time plus what the tests skip (a SIGKILLed command's lock expires after its ttl). */
export let skipped = 0;
export const skipLockTtl = () => { skipped += (DEFAULT_LOCK_TTL_S + 5) * 1000; };
export const committed = new Map<string, Record<string, ReturnType<typeof describe>[string]>>();

/** Seeded delays (mulberry32), as fractions of a full run. */
export function fractions(seed: number, n: number): number[] {
  let a = seed >>> 0;
  return Array.from({ length: n }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return 0.15 + 0.7 * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  });
}

export interface Interrupted extends CliResult { signalled: boolean }

/** Runs `bkv args` and sends `signal` after `ms` (from when `after` holds, if given), unless it has finished. */
export function interrupt(args: string[], signal: NodeJS.Signals, ms: number, home = dev.home, after?: () => Promise<boolean>): Promise<Interrupted> {
  const child = spawnBkv(args, { BKV_SERVER: rt.url, BKV_HOME: home, BKV_ACCOUNT: ACCOUNT });
  let stdout = '';
  let stderr = '';
  let signalled = false;
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin!.end();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const arm = () => { timer = setTimeout(() => { signalled = child.kill(signal); }, ms); };
  if (after === undefined) arm();
  else {
    // the delay counts from the moment `after` holds (polled): e.g. once the command has uploaded a pack
    const poll = async () => {
      while (!closed && !(await after())) await new Promise((r) => setTimeout(r, 10));
      if (!closed) arm();
    };
    void poll();
  }
  return new Promise((res) => child.on('close', (code, sig) => {
    closed = true;
    clearTimeout(timer);
    res({ code, signal: sig, stdout, stderr, signalled });
  }));
}

export async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = Date.now();
  const r = await fn();
  return [r, Date.now() - t];
}

export const snapshotIds = async (d = dev) => parseSnapshots(await d.run(['snapshots', '--json'])).map((s) => s.id).sort();

/** `bkv check` is clean and the newest committed snapshot (with `all`, every one) restores byte-identical. */
export async function allRestore(label: string, all = false): Promise<void> {
  const c = await dev.run(['check']);
  expect(c.code, `${label}: ${c.stderr}`).toBe(0);
  for (const [id, want] of all ? committed : [...committed].slice(-1)) {
    const target = join(work, 'verify');
    const r = await dev.run(['restore', id, target]);
    expect(r.code, `${label}: restore ${id.slice(0, 8)}: ${r.stderr}`).toBe(0);
    expect(describe(join(target, 'src')), label).toEqual(want);
    rmSync(target, { recursive: true });
  }
}

export const staging = () => readdirSync(work).filter((n) => n.startsWith('.bkv-restore-'));

/** Registers the file's set-up: call once at the top of each interrupt test file. */
export function useInterruptSetup(): void {
beforeAll(async () => {
  rt = await startTestRuntime({ clock: { now: () => Date.now() + skipped } });
  work = scratch('bkv-int-');
  src = join(work, 'src');
  mkdirSync(src);
  makeTree(src);
  dev = device(rt, ACCOUNT, await newDevice());
  const init = await dev.run(['init', '--key']);
  expect(init.code, init.stderr).toBe(0);
  writeFileSync(join(work, 'key.txt'), init.stdout);
  const b = await dev.run(['backup', src]);
  expect(b.code, b.stderr).toBe(0);
  committed.set(b.stdout.trim(), describe(src));
});

afterAll(async () => {
  await removeDevices();
  rmSync(work, { recursive: true, force: true });
  await rt?.stop();
});
}

/** 64 MiB of new content in many files (seeded, so each run is the same size). */
export function addBulk(seed: number): void {
  const dir = join(src, `bulk-${seed}`);
  mkdirSync(dir);
  for (let i = 0; i < 200; i++) writeFileSync(join(dir, `small-${i}`), noise(4096 + i * 17, seed * 1000 + i));
  for (let i = 0; i < 12; i++) writeFileSync(join(dir, `mid-${i}`), noise(4 * 1024 * 1024, seed * 7 + i));
  writeFileSync(join(dir, 'large'), noise(15 * 1024 * 1024, seed));
}

/** After the common set-up: one more committed snapshot with 64 MiB of new data in many files (bulk 1). */
export function useBulkSnapshot(): void {
  beforeAll(async () => {
    addBulk(1);
    const b = await dev.run(['backup', src]);
    expect(b.code, b.stderr).toBe(0);
    committed.set(b.stdout.trim(), describe(src));
  });
}
