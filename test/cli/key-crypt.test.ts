// The server-less `bkv` commands, run as a user runs them (spawning ./bin/bkv.js): `key new`, `key age-identity`,
// `encrypt` and `decrypt --key-file`. Proves the README promise (the standard `age` tool decrypts a backup with
// the identity printed from the 64-digit key, and bkv decrypts what age wrote), the exit codes (2 bad input,
// 3 wrong key, 5 damaged) with short lowercase messages, and that K never appears on stderr.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { backupAgeIdentity, backupAgeRecipient } from '../../client/backup-crypto.js';
import { formatBackupKey, parseBackupKey } from '../../client/backup-key.js';
import { testBytes } from '../client/age/helpers.js';

const BIN = resolve('bin/bkv.js');
const dir = mkdtempSync(join(tmpdir(), 'bkv-cli-crypt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Result {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

function bkv(args: string[], input: Uint8Array | string = '', env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, BKV_HOME: join(dir, 'home'), ...env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => {}); // a command that fails early may close stdin first
    child.stdin.end(input);
  });
}

const K = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
const keyFile = join(dir, 'key.txt');
writeFileSync(keyFile, `${formatBackupKey(K)}\n`, { mode: 0o600 });
const identityFile = join(dir, 'identity.txt');
writeFileSync(identityFile, `${backupAgeIdentity(K)}\n`, { mode: 0o600 });
const plaintext = testBytes(3 * 65536 + 123, 21);
const hexDigits = Buffer.from(K).toString('hex');

function hasKey(stderr: string): boolean {
  return stderr.includes(formatBackupKey(K).slice(0, 14)) || stderr.includes(hexDigits.slice(0, 12));
}

describe.concurrent('bkv key', () => {
  it('new prints a fresh 64-digit key and nothing else', async ({ expect }) => {
    const [a, b] = await Promise.all([bkv(['key', 'new']), bkv(['key', 'new'])]);
    for (const r of [a, b]) {
      expect(r.code).toBe(0);
      expect(r.stdout.toString()).toMatch(/^([0-9a-f]{4}-){15}[0-9a-f]{4}\n$/);
      expect(r.stderr).toBe('');
    }
    expect(a.stdout.equals(b.stdout)).toBe(false);
  });

  it('age-identity reads the key on stdin, in any accepted form, and prints the identity', async ({ expect }) => {
    const grid = formatBackupKey(K).toUpperCase().replace(/-/g, ' ').replace(/(.{19}) /g, '$1\n');
    const r = await bkv(['key', 'age-identity'], `${grid}\n`);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe(`${backupAgeIdentity(K)}\n`);
  });

  it('age-identity refuses a short key with exit 2 and the digit count', async ({ expect }) => {
    const r = await bkv(['key', 'age-identity'], hexDigits.slice(0, 63));
    expect(r.code).toBe(2);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toBe('bkv: 64-digit key: found 63 hex digits, expected 64\n');
  });
});

describe.concurrent('bkv encrypt / decrypt', () => {
  it('encrypt writes a file the age CLI decrypts with the identity from the 64-digit key', async ({ expect }) => {
    const r = await bkv(['encrypt', '--key-file', keyFile], plaintext);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(execFileSync('age', ['-d', '-i', identityFile], { input: r.stdout, maxBuffer: 1 << 26 }).equals(plaintext)).toBe(true);
  });

  it('decrypt reads what the age CLI wrote to the recipient of K', async ({ expect }) => {
    const file = execFileSync('age', ['-r', backupAgeRecipient(K)], { input: plaintext, maxBuffer: 1 << 26 });
    const r = await bkv(['decrypt', '--key-file', keyFile], file);
    expect(r.code).toBe(0);
    expect(r.stdout.equals(plaintext)).toBe(true);
  });

  it('decrypt with another key: exit 3, "wrong key", no output, no key on stderr', async ({ expect }) => {
    const other = join(dir, 'other.txt');
    writeFileSync(other, formatBackupKey(parseBackupKey(hexDigits.slice(0, 63) + (hexDigits[63] === '0' ? '1' : '0'))));
    const file = execFileSync('age', ['-r', backupAgeRecipient(K)], { input: plaintext, maxBuffer: 1 << 26 });
    const r = await bkv(['decrypt', '--key-file', other], file);
    expect(r.code).toBe(3);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toBe('bkv: wrong key: this file was not encrypted under this 64-digit key\n');
    expect(hasKey(r.stderr)).toBe(false);
  });

  it('decrypt of a damaged or truncated file: exit 5, and stdout holds only whole authenticated chunks', async ({ expect }) => {
    const file = execFileSync('age', ['-r', backupAgeRecipient(K)], { input: plaintext, maxBuffer: 1 << 26 });
    const payloadStart = file.indexOf('\n', file.indexOf('\n---') + 1) + 1 + 16;
    const flipped = Buffer.from(file);
    flipped[payloadStart + 2 * 65552 + 100]! ^= 1; // inside chunk 2
    const [damaged, truncated] = await Promise.all([
      bkv(['decrypt', '--key-file', keyFile], flipped),
      bkv(['decrypt', '--key-file', keyFile], file.subarray(0, file.length - 200)),
    ]);
    for (const r of [damaged, truncated]) {
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/^bkv: the file is damaged or was tampered with \([a-z0-9 :]+\)\n$/);
      expect(r.stdout.length % 65536).toBe(0);
      expect(plaintext.subarray(0, r.stdout.length).equals(r.stdout)).toBe(true);
      expect(hasKey(r.stderr)).toBe(false);
    }
    expect(damaged.stdout.length).toBe(2 * 65536);
  });

  it('decrypt of something that is not an age file: exit 5, named as such', async ({ expect }) => {
    const r = await bkv(['decrypt', '--key-file', keyFile], 'hello, world\n');
    expect(r.code).toBe(5);
    expect(r.stderr).toBe('bkv: not a backup file, or its header is damaged (not an age file)\n');
  });

  it.for(['0', '2'])('BKV_WORKERS=%s: a stream long enough for the workers round-trips with the age CLI both ways', async (workers, { expect }) => {
    const big = testBytes(9 * 1024 * 1024 + 17, 5);
    const enc = await bkv(['encrypt', '--key-file', keyFile], big, { BKV_WORKERS: workers });
    expect(enc.code).toBe(0);
    expect(enc.stderr).toBe('');
    expect(execFileSync('age', ['-d', '-i', identityFile], { input: enc.stdout, maxBuffer: 64 << 20 }).equals(big)).toBe(true);
    const sealed = execFileSync('age', ['-r', backupAgeRecipient(K)], { input: big, maxBuffer: 64 << 20 });
    const dec = await bkv(['decrypt', '--key-file', keyFile], sealed, { BKV_WORKERS: workers });
    expect(dec.code).toBe(0);
    expect(dec.stdout.equals(big)).toBe(true);
  });

  it.for(['5', '-1', '1.5', 'many'])('BKV_WORKERS=%s: exit 2, nothing written', async (workers, { expect }) => {
    const r = await bkv(['encrypt', '--key-file', keyFile], plaintext, { BKV_WORKERS: workers });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('bkv: BKV_WORKERS must be an integer from 0 to 4\n');
    expect(r.stdout.length).toBe(0);
  });

  it.for([
    ['no --key-file', [], /required option '--key-file <file>' not specified/],
    ['a key file that does not exist', ['--key-file', join(dir, 'missing')], new RegExp(`^bkv: cannot read key file ${join(dir, 'missing')}: no such file or directory\\n$`)],
    ['a key file with a bad character', ['--key-file', 'BAD'], /^bkv: 64-digit key: bad character 'z' at position 3\n$/],
  ] as const)('%s: exit 2', async ([, args, message], { expect }) => {
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, `00z0${hexDigits.slice(4)}`);
    const r = await bkv(['decrypt', ...args.map((a) => (a === 'BAD' ? bad : a))], 'x');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(hasKey(r.stderr)).toBe(false);
  });
});
