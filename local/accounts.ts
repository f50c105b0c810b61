// Local accounts of the local runtime's OpenID provider: a user name and a password, kept in `accounts.json`
// in the data dir (0600 like every file there) as scrypt hashes (node:crypto; N=2^15, r=8, p=1, 16-byte salt,
// 32-byte hash), compared in constant time. The user name is the token's `sub`, so it follows the account-id
// alphabet of docs/protocol.md. Writes go through a temporary file and a rename: a crash leaves the old file.
// Account names are one namespace (docs/threat-model.md "The local runtime"): a name the operator's shortcut
// (`POST /local/v1/token`) has used is kept here as a *reserved* entry with no password, which nothing can sign
// in to and sign-up cannot take; the shortcut in turn refuses names that were signed up. The README's default
// account `me` is reserved at every start, before the runtime answers a sign-in. Every change (sign-up or
// reservation) runs its check and its write in one queue, so the two can never both take a name.
// A new password must pass the vault's strength rules (protocol/password-strength.ts); sign-up of a taken or
// reserved name is a sign-in attempt, answered as one, so the form is no cheap oracle for which names exist.

import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tempPath, writeNewFile } from './keys.js';

export const ACCOUNT_NAME = /^[A-Za-z0-9._@:|+=-]{1,64}$/;
export const MAX_PASSWORD_LENGTH = 1024;
const SCRYPT: ScryptOptions = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** An account with a password (signed up on the login page or created by a test). */
interface PasswordAccount {
  salt: string;
  hash: string;
  created: string;
}

/** A name the operator's shortcut used: no password, never signed in to, never signed up. */
interface ReservedAccount {
  reserved: 'shortcut';
  created: string;
}

type StoredAccount = PasswordAccount | ReservedAccount;

const isPasswordAccount = (a: StoredAccount | undefined): a is PasswordAccount =>
  typeof a === 'object' && a !== null && typeof (a as PasswordAccount).salt === 'string' && typeof (a as PasswordAccount).hash === 'string';

export class AccountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccountError';
  }
}

/** The shortcut asked for a name that was signed up on the login page: it belongs to whoever knows its password. */
export class SignedUpAccount extends Error {
  constructor(readonly account: string) {
    super('that account was created on the sign-in page; the shortcut reaches only its own accounts');
    this.name = 'SignedUpAccount';
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

  /** `alwaysReserved`: names sign-up refuses even before (or without) their reserved entry in the file. */
  constructor(dataDir: string, private readonly alwaysReserved: readonly string[] = []) {
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

  /** True when `name` is an account one can sign in to (one with a password). */
  async canSignIn(name: string): Promise<boolean> {
    const accounts = await this.load();
    return Object.hasOwn(accounts, name) && isPasswordAccount(accounts[name]);
  }

  /**
   * Reserves `name` for the operator's shortcut (idempotent); SignedUpAccount when it is a signed-up account.
   * `name` is already checked against the shortcut's request schema (protocol/schemas.ts LocalTokenRequest).
   */
  async reserve(name: string): Promise<void> {
    await this.change((accounts) => {
      if (Object.hasOwn(accounts, name)) {
        if (isPasswordAccount(accounts[name])) throw new SignedUpAccount(name);
        return undefined;
      }
      return { ...accounts, [name]: { reserved: 'shortcut', created: new Date().toISOString() } };
    });
  }

  /** Runs `edit` on the current accounts in the write queue; writes what it returns (nothing for undefined). */
  private change(edit: (accounts: Record<string, StoredAccount>) => Record<string, StoredAccount> | undefined): Promise<void> {
    const run = this.writing.then(async () => {
      const next = edit(await this.load());
      if (!next) return;
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
    return run;
  }

  /** Refuses a name outside the alphabet, a password too long, or one the vault's strength rules refuse. */
  private async checkNew(name: string, password: string): Promise<void> {
    if (!ACCOUNT_NAME.test(name)) throw new AccountError('user names are 1-64 of A-Z a-z 0-9 . _ @ : | + = -');
    if (password.length > MAX_PASSWORD_LENGTH) throw new AccountError('password is too long');
    // the vault's rules (docs/threat-model.md "Password strength"), loaded on the first sign-up only
    const { estimatePasswordStrength } = await import('../protocol/password-strength.js');
    const strength = estimatePasswordStrength(password, { userInputs: [name] });
    if (strength.verdict === 'refused') {
      throw new AccountError(`that password is too easy to guess: ${[...strength.reasons, ...strength.suggestions.slice(0, 1)].join('; ')}`);
    }
  }

  /** Creates an account (the operator's and tests' way); AccountError when the name is taken or not allowed, or the password weak. */
  async create(name: string, password: string): Promise<void> {
    if ((await this.signUp(name, password)) !== 'created') throw new AccountError('that user name is taken');
  }

  /**
   * The sign-up form: creates the account when the name is free ('created'); for a taken or reserved name it is a
   * sign-in ('signed-in' with the account's password, 'refused' otherwise), so the page answers a taken name
   * exactly as a wrong password. AccountError (before any lookup) for a bad name or a password the rules refuse.
   */
  async signUp(name: string, password: string): Promise<'created' | 'signed-in' | 'refused'> {
    await this.checkNew(name, password);
    const salt = randomBytes(16);
    const hash = await scrypt(password, salt);
    let taken = false;
    await this.change((accounts) => {
      if (Object.hasOwn(accounts, name) || this.alwaysReserved.includes(name)) {
        taken = true;
        return undefined;
      }
      return { ...accounts, [name]: { salt: salt.toString('base64url'), hash: hash.toString('base64url'), created: new Date().toISOString() } };
    });
    if (!taken) return 'created';
    return (await this.verify(name, password)) ? 'signed-in' : 'refused';
  }

  /** True when `password` is the account's; false for a wrong password or an unknown account (same work). */
  async verify(name: string, password: string): Promise<boolean> {
    if (password.length > MAX_PASSWORD_LENGTH) return false;
    const accounts = await this.load();
    const stored = ACCOUNT_NAME.test(name) && Object.hasOwn(accounts, name) ? accounts[name] : undefined;
    if (!isPasswordAccount(stored)) {
      await scrypt(password, randomBytes(16));
      await this.decoy;
      return false;
    }
    const want = Buffer.from(stored.hash, 'base64url');
    const got = await scrypt(password, Buffer.from(stored.salt, 'base64url'));
    return want.length === got.length && timingSafeEqual(want, got);
  }
}
