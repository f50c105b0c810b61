// Where a device keeps its sign-ins: `$BKV_HOME/sign-in.json` (mode 0600 in the 0700 home), one entry per
// server URL, written atomically. A file others could read is refused (as the backup key is). Tokens are never
// printed or logged. A `sign-in.lock` file (O_EXCL) serialises refreshes between processes on the device, so two
// commands never spend the same rotated refresh token (which providers treat as theft and answer by revoking).

import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { ClientError } from '../errors.js';
import { printable } from '../printable.js';
import { SignInConfig } from '../../protocol/sign-in.js';

export const SIGN_IN_FILE = 'sign-in.json';
const LOCK_FILE = 'sign-in.lock';
const STALE_LOCK_MS = 30_000;

export const StoredSignIn = z.object({
  config: SignInConfig,
  /** The bearer token the API takes (access or ID token, as `config.bearer` says). */
  bearer: z.string().min(1),
  /** Unix ms when the bearer token was received and when it expires. */
  issuedAt: z.number(),
  expiresAt: z.number(),
  refreshToken: z.string().min(1).optional(),
  /** The account: the ID token's `sub`. */
  subject: z.string().min(1),
  /** A name to show (`email`, `preferred_username`), when the ID token had one. */
  name: z.string().optional(),
  /** Unix ms of the sign-in, and when the refresh token ends when the provider said so. */
  signedInAt: z.number(),
  refreshExpiresAt: z.number().optional(),
});
export type StoredSignIn = z.infer<typeof StoredSignIn>;

const StoreFile = z.object({ version: z.literal(1), servers: z.record(z.string(), StoredSignIn) });

/** The server key of a sign-in: its URL without trailing slashes. */
export const serverKey = (server: string) => server.replace(/\/+$/, '');

export class TokenStore {
  constructor(readonly home: string) {}

  get path(): string {
    return join(this.home, SIGN_IN_FILE);
  }

  private async readAll(): Promise<Record<string, StoredSignIn>> {
    let text: string;
    try {
      const st = await stat(this.path);
      if ((st.mode & 0o077) !== 0) throw new ClientError('usage', printable(`${this.path} is readable by others; run: chmod 600 ${this.path}`, 1000), { path: this.path });
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw e;
    }
    try {
      const parsed = StoreFile.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data.servers;
    } catch {
      // fall through
    }
    throw new ClientError('usage', printable(`${this.path} is damaged; remove it and sign in again (bkv login)`, 1000), { path: this.path });
  }

  async get(server: string): Promise<StoredSignIn | undefined> {
    return (await this.readAll())[serverKey(server)];
  }

  async put(server: string, signIn: StoredSignIn): Promise<void> {
    const all = await this.readAll();
    await this.writeAll({ ...all, [serverKey(server)]: signIn });
  }

  async remove(server: string): Promise<boolean> {
    const all = await this.readAll();
    const key = serverKey(server);
    if (!(key in all)) return false;
    const { [key]: _gone, ...rest } = all;
    if (Object.keys(rest).length === 0) await rm(this.path, { force: true });
    else await this.writeAll(rest);
    return true;
  }

  private async writeAll(servers: Record<string, StoredSignIn>): Promise<void> {
    await mkdir(this.home, { recursive: true, mode: 0o700 });
    await chmod(this.home, 0o700);
    const temp = `${this.path}.${process.pid}.tmp`;
    const fh = await open(temp, 'w', 0o600);
    try {
      await fh.chmod(0o600);
      await fh.writeFile(JSON.stringify({ version: 1, servers }));
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(temp, this.path);
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    }
  }

  /** Runs `fn` holding the device's sign-in lock (waits up to 15 s; a lock older than 30 s is taken over). */
  async locked<T>(fn: () => Promise<T>): Promise<T> {
    await mkdir(this.home, { recursive: true, mode: 0o700 });
    const lock = join(this.home, LOCK_FILE);
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        const fh = await open(lock, 'wx', 0o600);
        await fh.close();
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
        if (age > STALE_LOCK_MS) await rm(lock, { force: true });
        else if (Date.now() > deadline) throw new ClientError('sign-in', printable(`another bkv is renewing the sign-in (${lock}); try again`, 1000));
        else await new Promise((r) => setTimeout(r, 50));
      }
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { force: true });
    }
  }
}
