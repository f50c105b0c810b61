// Key files of the local runtime, created on first start in the data dir with mode 0600:
// the local sealer's AES-256 key and the Ed25519 key that signs local tokens.

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';

async function readOrCreate(path: string, create: () => Promise<Uint8Array>): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    const bytes = await create();
    try {
      await writeFile(path, bytes, { mode: 0o600, flag: 'wx' });
      return bytes;
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return new Uint8Array(await readFile(path));
      throw e2;
    }
  }
}

export async function ensureDataDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

export async function sealerKey(dir: string): Promise<Uint8Array> {
  const key = await readOrCreate(join(dir, 'sealer.key'), async () => new Uint8Array(randomBytes(32)));
  if (key.length !== 32) throw new Error(`${join(dir, 'sealer.key')} is not a 32-byte key`);
  return key;
}

export interface TokenKeys {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

export async function tokenKeys(dir: string): Promise<TokenKeys> {
  const raw = await readOrCreate(join(dir, 'token-key.jwk'), async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    return Buffer.from(JSON.stringify(await exportJWK(privateKey)), 'utf8');
  });
  const jwk = JSON.parse(Buffer.from(raw).toString('utf8')) as JWK;
  const { d: _d, ...publicJwk } = jwk;
  return {
    privateKey: (await importJWK(jwk, 'EdDSA')) as CryptoKey,
    publicKey: (await importJWK(publicJwk, 'EdDSA')) as CryptoKey,
  };
}

export interface DataDirLock {
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One runtime per data dir: a `lock` file holding the owner's pid; a stale one (dead pid) is taken over. */
export async function lockDataDir(dir: string): Promise<DataDirLock> {
  const path = join(dir, 'lock');
  for (let tries = 0; tries < 2; tries++) {
    try {
      await writeFile(path, String(process.pid), { flag: 'wx', mode: 0o600 });
      return { release: () => rm(path, { force: true }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new Error(`data dir ${dir} is in use by another bkv process (pid ${owner})`);
      }
      await rm(path, { force: true });
    }
  }
  throw new Error(`cannot lock data dir ${dir}`);
}
