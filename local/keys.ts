// Key files of the local runtime, created on first start in the data dir with mode 0600:
// the local sealer's AES-256 key and the Ed25519 key that signs local tokens.

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
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
