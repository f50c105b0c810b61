// Importing the SDK (client/index.ts) and using it (a backup and a restore through the blob workers) leaves its host
// process as it was: no V8 flag set (`gc` stays absent from a new vm context) and no 31 MiB buffer allocated to
// tune glibc's malloc (runtime/gc.ts). Only a process of bkv's own opts in (tuneThisProcess, which the
// `bkv` CLI calls at start): then both happen. Run in child processes: the flag is process-wide.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SDK = new URL('../../client/index.ts', import.meta.url).href;
const GC_TS = new URL('../../runtime/gc.ts', import.meta.url).href;

interface Seen {
  gcAfterImport: string;
  gcAfterUse: string;
  reservations: number;
  restored: boolean;
}

/** Imports the SDK in a fresh node (under tsx), backs up and restores a 6 MiB file, and reports what changed. */
function host(optIn: boolean): Seen {
  const script = `
    import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
    import { randomBytes } from 'node:crypto';
    import { tmpdir } from 'node:os';
    import { join } from 'node:path';
    import { runInNewContext } from 'node:vm';
    const reservations = [];
    const slow = Buffer.allocUnsafeSlow;
    Buffer.allocUnsafeSlow = (n) => { if (n >= 31 * 1024 * 1024) reservations.push(n); return slow(n); };
    const sdk = await import(${JSON.stringify(SDK)});
    if (${optIn}) (await import(${JSON.stringify(GC_TS)})).tuneThisProcess();
    const gcAfterImport = runInNewContext('typeof gc');
    const dir = mkdtempSync(join(tmpdir(), 'bkv-host-'));
    mkdirSync(join(dir, 'src'));
    const data = randomBytes(6 * 1024 * 1024);
    writeFileSync(join(dir, 'src', 'f'), data);
    const repo = await sdk.initRepository(new sdk.MemoryRepoStore(), randomBytes(32), { home: join(dir, 'home'), workers: 1 });
    const { snapshot } = await sdk.backup(repo, { paths: [join(dir, 'src')] });
    await sdk.restore(repo, snapshot, join(dir, 'out'), { home: join(dir, 'home') });
    await repo.close();
    const restored = readFileSync(join(dir, 'out', 'src', 'f')).equals(data);
    rmSync(dir, { recursive: true, force: true });
    process.stdout.write(JSON.stringify({ gcAfterImport, gcAfterUse: runInNewContext('typeof gc'), reservations: reservations.length, restored }));`;
  const dir = mkdtempSync(join(tmpdir(), 'bkv-import-'));
  try {
    writeFileSync(join(dir, 'host.mjs'), script);
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(dir, 'host.mjs')], { encoding: 'utf8' });
    return JSON.parse(out) as Seen;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('importing bkv/client', () => {
  it('changes no V8 flag and reserves no memory in its host, even once used', () => {
    expect(host(false)).toEqual({ gcAfterImport: 'undefined', gcAfterUse: 'undefined', reservations: 0, restored: true });
  });

  it('a process that opts in (the CLI) gets on-demand collections and the glibc tuning', () => {
    expect(host(true)).toEqual({ gcAfterImport: 'function', gcAfterUse: 'function', reservations: 1, restored: true });
  });
});
