// The data dir of the local runtime and the key files in it, created on first start: the local sealer's AES-256
// key, the OpenID provider's RSA signing key and cookie key, the scripts' token secret and the storage credentials. Whoever can read the data dir is the
// operator, so the dir is 0700 and everything in it 0600 (files) or 0700 (dirs), tightened at every start.
// A key file appears whole or not at all (written aside, then linked into place): a full disk must not leave an
// empty key behind that would stop every later start.

import { randomBytes } from 'node:crypto';
import { chmod, link, lstat, mkdir, open, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';

/** Suffix of files written aside before they are moved into place; leftovers are removed at start. */
export const TEMP_SUFFIX = '.bkv-tmp';
const isTemp = (name: string) => name.includes(`${TEMP_SUFFIX}-`);
export const tempPath = (path: string) => `${path}${TEMP_SUFFIX}-${randomBytes(6).toString('hex')}`;

/** Writes `bytes` to a new file `path` (mode 0600), fsynced; EEXIST if it exists. Never leaves a partial file. */
export async function writeNewFile(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = tempPath(path);
  try {
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}

async function readOrCreate(path: string, create: () => Promise<Uint8Array>): Promise<Uint8Array> {
  const existing = await readFile(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  // An empty key file is what an older runtime left when the disk was full: nothing was ever sealed under it.
  if (existing && existing.length > 0) return new Uint8Array(existing);
  if (existing) await rm(path, { force: true });
  const bytes = await create();
  try {
    await writeNewFile(path, bytes);
    return bytes;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return new Uint8Array(await readFile(path));
    throw e;
  }
}

/** Creates the data dir if needed, mode 0700 (also an existing one). */
export async function ensureDataDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/**
 * Tightens the data dir (call it holding the lock): 0700 itself and every subdir, 0600 every file, symlinks
 * untouched, files a previous run left half written removed.
 */
export async function tightenDataDir(dir: string): Promise<void> {
  await tighten(dir);
}

async function tighten(dir: string): Promise<void> {
  const info = await lstat(dir);
  if (!info.isDirectory()) throw new Error(`data dir ${dir} is not a directory`);
  if ((info.mode & 0o777) !== 0o700) await chmod(dir, 0o700);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue; // chmod would follow it out of the data dir
    if (entry.isDirectory()) {
      await tighten(path);
    } else if (isTemp(entry.name)) {
      await rm(path, { force: true });
    } else if (entry.isFile() || entry.isSocket()) {
      if (((await lstat(path)).mode & 0o777) !== 0o600) await chmod(path, 0o600);
    }
  }
}

export async function sealerKey(dir: string): Promise<Uint8Array> {
  const key = await readOrCreate(join(dir, 'sealer.key'), async () => new Uint8Array(randomBytes(32)));
  if (key.length !== 32) throw new Error(`${join(dir, 'sealer.key')} is not a 32-byte key`);
  return key;
}

/**
 * The seed of this runtime's realm registration key (docs/protocol.md "Realms, the realm set"): 32 random bytes in
 * `realm-key.seed` beside `sealer.key`, from which the realm derives its X25519 key pair (RFC 9180 DeriveKeyPair).
 */
export async function realmKeySeed(dir: string): Promise<Uint8Array> {
  const seed = await readOrCreate(join(dir, 'realm-key.seed'), async () => new Uint8Array(randomBytes(32)));
  if (seed.length !== 32) throw new Error(`${join(dir, 'realm-key.seed')} is not a 32-byte seed`);
  return seed;
}

/** The provider's signing key: RSA (RS256, as API Gateway's JWT authorizer accepts RSA only), private JWK with `kid`. */
export interface SigningKey {
  /** The private JWK, as oidc-provider takes it in `jwks.keys`. */
  privateJwk: JWK;
  /** The public half, as the provider's JWKS publishes it. */
  publicJwk: JWK;
  privateKey: CryptoKey;
}

export async function signingKey(dir: string): Promise<SigningKey> {
  const path = join(dir, 'oidc-signing-key.jwk');
  const raw = await readOrCreate(path, async () => {
    const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const jwk = await exportJWK(privateKey);
    return Buffer.from(JSON.stringify({ ...jwk, alg: 'RS256', use: 'sig', kid: randomBytes(9).toString('base64url') }), 'utf8');
  });
  const jwk = JSON.parse(Buffer.from(raw).toString('utf8')) as JWK;
  if (jwk.kty !== 'RSA' || !jwk.d || !jwk.kid) throw new Error(`${path} does not hold an RSA signing key`);
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = jwk;
  return { privateJwk: jwk, publicJwk, privateKey: (await importJWK(jwk, 'RS256')) as CryptoKey };
}

/** A random secret of the data dir (`name`, 0600), base64url: the provider's cookie key, the scripts' token secret. */
export async function dataDirSecret(dir: string, name: string): Promise<string> {
  const raw = await readOrCreate(join(dir, name), async () => Buffer.from(randomBytes(32).toString('base64url'), 'utf8'));
  const secret = Buffer.from(raw).toString('utf8').trim();
  if (secret.length < 32) throw new Error(`${join(dir, name)} does not hold a secret`);
  return secret;
}

/** The file holding the secret of `POST /local/v1/token` (README "Scripts and tests"). */
export const TOKEN_SECRET_FILE = 'local-token-secret';

export interface StorageCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Fresh random credentials for the storage stand-ins (in-memory runtimes: one pair per process start). */
export function randomStorageCredentials(): StorageCredentials {
  return { accessKeyId: `BKVLOCAL${randomBytes(6).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64url') };
}

/** The storage stand-ins' credentials, random per data dir (`storage-credentials.json`, 0600). */
export async function storageCredentials(dir: string): Promise<StorageCredentials> {
  const path = join(dir, 'storage-credentials.json');
  const raw = await readOrCreate(path, async () => Buffer.from(JSON.stringify(randomStorageCredentials()), 'utf8'));
  const parsed = JSON.parse(Buffer.from(raw).toString('utf8')) as Partial<StorageCredentials>;
  if (typeof parsed.accessKeyId !== 'string' || typeof parsed.secretAccessKey !== 'string' || parsed.secretAccessKey.length < 32) {
    throw new Error(`${path} does not hold storage credentials`);
  }
  return { accessKeyId: parsed.accessKeyId, secretAccessKey: parsed.secretAccessKey };
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
      await writeNewFile(path, Buffer.from(String(process.pid)));
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
