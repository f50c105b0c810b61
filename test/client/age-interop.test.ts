// Interop of our age streams with the two other implementations, both directions, at the sizes around the 64 KiB
// chunk boundary and a few MiB: the Go `age` CLI (Debian package `age`; .ci/run installs it) and the pure-JS
// `age-encryption` npm package (typage). Also checks our bech32 keys against `age-keygen`.

import { Decrypter, Encrypter } from 'age-encryption';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDecryptStream, createEncryptStream, encodeIdentity, encodeRecipient, parseIdentity, x25519PublicKey } from '../../client/age/index.js';
import { run, testBytes } from './age/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bkv-age-interop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const secret = randomBytes(32);
const identity = encodeIdentity(secret);
const recipient = encodeRecipient(x25519PublicKey(secret));
const identityFile = join(dir, 'identity.txt');
writeFileSync(identityFile, `${identity}\n`, { mode: 0o600 });

const SIZES = [0, 1, 65535, 65536, 65537, 3 * 1024 * 1024 + 5];

function age(args: string[], input: Uint8Array): Buffer {
  return execFileSync('age', args, { input, maxBuffer: 64 * 1024 * 1024 });
}

async function ourEncrypt(plaintext: Uint8Array, workers = 0): Promise<Buffer> {
  const { output, error } = await run(createEncryptStream({ recipients: [recipient], workers, inlineBytes: 0 }), plaintext, [65536]);
  expect(error).toBeUndefined();
  return output;
}

async function ourDecrypt(file: Uint8Array, workers = 0): Promise<Buffer> {
  const { output, error } = await run(createDecryptStream({ identities: [secret], workers, inlineBytes: 0 }), file, [50000]);
  expect(error).toBeUndefined();
  return output;
}

describe('keys', () => {
  it('our recipient for an identity is what age-keygen -y prints', () => {
    expect(execFileSync('age-keygen', ['-y', identityFile]).toString().trim()).toBe(recipient);
  });

  it('reads an identity age-keygen made', () => {
    const file = join(dir, 'keygen.txt');
    execFileSync('age-keygen', ['-o', file], { stdio: 'ignore' });
    const text = execFileSync('cat', [file]).toString();
    const id = /^AGE-SECRET-KEY-1[0-9A-Z]+$/m.exec(text)![0];
    const pub = /public key: (age1[0-9a-z]+)/.exec(text)![1];
    expect(encodeRecipient(x25519PublicKey(parseIdentity(id)))).toBe(pub);
    expect(encodeIdentity(parseIdentity(id))).toBe(id);
  });
});

describe.each(SIZES)('%i bytes', (size) => {
  const plaintext = testBytes(size, size + 1);

  it('ours → age CLI', async () => {
    expect(age(['-d', '-i', identityFile], await ourEncrypt(plaintext)).equals(plaintext)).toBe(true);
  });

  it('age CLI → ours (on this thread and on the workers)', async () => {
    const file = age(['-r', recipient], plaintext);
    expect((await ourDecrypt(file)).equals(plaintext)).toBe(true);
    expect((await ourDecrypt(file, 2)).equals(plaintext)).toBe(true);
  });

  it('ours (workers) → age-encryption', async () => {
    const d = new Decrypter();
    d.addIdentity(identity);
    expect(Buffer.from(await d.decrypt(await ourEncrypt(plaintext, 2))).equals(plaintext)).toBe(true);
  });

  it('age-encryption → ours', async () => {
    const e = new Encrypter();
    e.addRecipient(recipient);
    expect((await ourDecrypt(await e.encrypt(plaintext))).equals(plaintext)).toBe(true);
  });
});
