// Local accounts of the local runtime's OpenID provider: a user name and a password, kept in `accounts.json`
// in the data dir (0600 like every file there) as scrypt hashes (node:crypto; N=2^15, r=8, p=1, 16-byte salt,
// 32-byte hash), compared in constant time. The user name is the token's `sub`, so it follows the account-id
// alphabet of docs/protocol.md. Writes go through a temporary file and a rename: a crash leaves the old file.

import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tempPath, writeNewFile } from './keys.js';

export const ACCOUNT_NAME = /^[A-Za-z0-9._@:|+=-]{1,64}$/;
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;
const SCRYPT: ScryptOptions = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

interface StoredAccount {
  salt: string;
  hash: string;
  created: string;
}

export class AccountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccountError';
  }
}

function scrypt(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password.normalize('NFC'), salt, 32, SCRYPT, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export class LocalAccounts {
  private readonly path: string;
  private cache: Record<string, StoredAccount> | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** A hash to compare against when the account does not exist, so both cases take the same time. */
  private readonly decoy = scrypt('decoy', randomBytes(16));

  constructor(dataDir: string) {
    this.path = join(dataDir, 'accounts.json');
  }

  private async load(): Promise<Record<string, StoredAccount>> {
    if (this.cache) return this.cache;
    const text = await readFile(this.path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return '{}';
      throw e;
    });
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${this.path} is not an accounts file`);
    this.cache = parsed as Record<string, StoredAccount>;
    return this.cache;
  }

  async has(name: string): Promise<boolean> {
    return Object.hasOwn(await this.load(), name);
  }

  /** Creates an account; AccountError when the name is taken or not allowed, or the password too short. */
  async create(name: string, password: string): Promise<void> {
    if (!ACCOUNT_NAME.test(name)) throw new AccountError('user names are 1-64 of A-Z a-z 0-9 . _ @ : | + = -');
    if (password.length < MIN_PASSWORD_LENGTH) throw new AccountError(`passwords have at least ${MIN_PASSWORD_LENGTH} characters`);
    if (password.length > MAX_PASSWORD_LENGTH) throw new AccountError('password is too long');
    const salt = randomBytes(16);
    const hash = await scrypt(password, salt);
    const run = this.writing.then(async () => {
      const accounts = await this.load();
      if (Object.hasOwn(accounts, name)) throw new AccountError('that user name is taken');
      const next = { ...accounts, [name]: { salt: salt.toString('base64url'), hash: hash.toString('base64url'), created: new Date().toISOString() } };
      const tmp = tempPath(this.path);
      try {
        await writeNewFile(tmp, Buffer.from(JSON.stringify(next, null, 1)));
        await rename(tmp, this.path);
      } finally {
        await rm(tmp, { force: true });
      }
      this.cache = next;
    });
    this.writing = run.catch(() => undefined);
    await run;
  }

  /** True when `password` is the account's; false for a wrong password or an unknown account (same work). */
  async verify(name: string, password: string): Promise<boolean> {
    if (password.length > MAX_PASSWORD_LENGTH) return false;
    const stored = ACCOUNT_NAME.test(name) ? (await this.load())[name] : undefined;
    if (!stored || !Object.hasOwn(await this.load(), name)) {
      await scrypt(password, randomBytes(16));
      await this.decoy;
      return false;
    }
    const want = Buffer.from(stored.hash, 'base64url');
    const got = await scrypt(password, Buffer.from(stored.salt, 'base64url'));
    return want.length === got.length && timingSafeEqual(want, got);
  }
}
