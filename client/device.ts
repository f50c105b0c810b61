// Device state of the `bkv` CLI under $BKV_HOME (default ~/.bkv, directory mode 0700):
//   keys/<id>.json one file per server and account (id: the first 32 hex digits of SHA-256 of "server\naccount"),
//                  mode 0600, written atomically: { server, account, protection: "password" | "key", key: 64 hex }.
//                  A key is only ever read for the server and account it names: signing in as another account
//                  never reuses it (README "Device state").
//   config.json    { server, account } of the last init or restore (the default server, and the local shortcut's
//                  default account)
// An older bkv kept one key in `backup-key` (64 hex digits) and its owner in config.json; it moves to keys/ the
// first time this device is used, bound to the server and account config.json names. One whose owner is not
// recorded is never used: it stays where it is and the commands name it (`bkv key import` binds it by hand).
// K is never logged; a key file others can read is refused.

import { createHash } from 'node:crypto';
import { chmod, mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';
import { BackupKey } from './backup-key.js';
import { ClientError } from './errors.js';

/** Where an older bkv kept its one key. */
export const LEGACY_KEY_FILE = 'backup-key';
export const KEYS_DIR = 'keys';
export const CONFIG_FILE = 'config.json';

export const DeviceConfig = z.object({
  server: z.string().optional(),
  account: z.string().optional(),
  /** Written by older versions for the one key in `backup-key`; read only to migrate it. */
  protection: z.enum(['password', 'key']).optional(),
});
export type DeviceConfig = z.infer<typeof DeviceConfig>;

export type Protection = 'password' | 'key';

/** The server and account a backup key belongs to. */
export interface KeyOwner {
  server: string;
  account: string;
}

const KeyEntry = z.object({
  server: z.string(),
  account: z.string(),
  protection: z.enum(['password', 'key']).optional(),
  key: z.string().regex(/^[0-9a-f]{64}$/),
});

export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.BKV_HOME || join(homedir(), '.bkv');
}

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** `account at server`, as messages name an owner. */
export function describeOwner(owner: KeyOwner): string {
  return `${owner.account} at ${owner.server}`;
}

export class DeviceState {
  private migrated: Promise<void> | undefined;

  constructor(readonly home: string) {}

  /** The key file an older bkv kept (see the header). */
  get legacyKeyPath(): string {
    return join(this.home, LEGACY_KEY_FILE);
  }

  keyPathFor(owner: KeyOwner): string {
    const id = createHash('sha256').update(`${owner.server}\n${owner.account}`).digest('hex').slice(0, 32);
    return join(this.home, KEYS_DIR, `${id}.json`);
  }

  private async ensureDir(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
  }

  /** Writes `bytes` to `path` with `mode`, atomically (temp file, fsync, rename). */
  private async writeAtomic(path: string, bytes: string, mode: number): Promise<void> {
    await this.ensureDir(this.home);
    if (path.startsWith(join(this.home, KEYS_DIR))) await this.ensureDir(join(this.home, KEYS_DIR));
    const temp = `${path}.${process.pid}.tmp`;
    const fh = await open(temp, 'w', mode);
    try {
      await fh.writeFile(bytes);
      await fh.chmod(mode);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(temp, path);
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    }
  }

  /** Reads a private file (refused when others can read it), or undefined when there is none. */
  private async readPrivate(path: string): Promise<string | undefined> {
    try {
      const st = await stat(path);
      if ((st.mode & 0o077) !== 0) {
        throw new ClientError('usage', `${path} is readable by others; run: chmod 600 ${path}`, { path });
      }
      return await readFile(path, 'utf8');
    } catch (e) {
      if (code(e) === 'ENOENT') return undefined;
      throw e;
    }
  }

  /**
   * Moves an older bkv's one key (`backup-key`) to keys/, bound to the server and account config.json names
   * (the account signed in when it was made or fetched). Without both it stays put and is never used.
   */
  migrate(): Promise<void> {
    this.migrated ??= (async () => {
      const text = await this.readPrivate(this.legacyKeyPath);
      if (text === undefined) return;
      const hex = text.trim();
      if (!/^[0-9a-f]{64}$/.test(hex)) throw new ClientError('usage', `${this.legacyKeyPath} is damaged (expected 64 hex digits)`, { path: this.legacyKeyPath });
      const config = await this.readConfig();
      if (!config.server || !config.account) return;
      const owner = { server: config.server.replace(/\/+$/, ''), account: config.account };
      if ((await this.readEntry(owner)) === undefined) {
        await this.writeKey(owner, BackupKey.fromBytes(Buffer.from(hex, 'hex')), config.protection ?? 'password');
      }
      await rm(this.legacyKeyPath, { force: true });
    })();
    return this.migrated;
  }

  /** An older bkv's key that names no owner (never used; see the header), or undefined. */
  async unboundLegacyKey(): Promise<string | undefined> {
    await this.migrate();
    try {
      await stat(this.legacyKeyPath);
      return this.legacyKeyPath;
    } catch (e) {
      if (code(e) === 'ENOENT') return undefined;
      throw e;
    }
  }

  private async readEntry(owner: KeyOwner): Promise<z.infer<typeof KeyEntry> | undefined> {
    const path = this.keyPathFor(owner);
    const text = await this.readPrivate(path);
    if (text === undefined) return undefined;
    let entry;
    try {
      entry = KeyEntry.safeParse(JSON.parse(text));
    } catch {
      entry = undefined;
    }
    if (!entry?.success) throw new ClientError('usage', `${path} is damaged (expected a key entry)`, { path });
    // a file that names another owner is never used for this one
    if (entry.data.server !== owner.server || entry.data.account !== owner.account) {
      throw new ClientError('usage', `${path} belongs to ${describeOwner(entry.data)}, not ${describeOwner(owner)}`, { path });
    }
    return entry.data;
  }

  async hasKey(owner: KeyOwner): Promise<boolean> {
    return (await this.readKey(owner)) !== undefined;
  }

  /** The account's K on this device, or undefined when this device has none for it. */
  async readKey(owner: KeyOwner): Promise<BackupKey | undefined> {
    await this.migrate();
    const entry = await this.readEntry(owner);
    return entry && BackupKey.fromBytes(Buffer.from(entry.key, 'hex'));
  }

  /** How the account's K is kept (the vault's password or a 64-digit key), if this device has it. */
  async protection(owner: KeyOwner): Promise<Protection | undefined> {
    await this.migrate();
    return (await this.readEntry(owner))?.protection;
  }

  async writeKey(owner: KeyOwner, key: BackupKey, protection: Protection): Promise<void> {
    const entry = { server: owner.server, account: owner.account, protection, key: Buffer.from(key.exposeBytes()).toString('hex') };
    await this.writeAtomic(this.keyPathFor(owner), `${JSON.stringify(entry, null, 2)}\n`, 0o600);
  }

  async removeKey(owner: KeyOwner): Promise<void> {
    await rm(this.keyPathFor(owner), { force: true });
  }

  /** The owners this device keeps a key for (never the keys). */
  async owners(): Promise<KeyOwner[]> {
    await this.migrate();
    let names: string[];
    try {
      names = await readdir(join(this.home, KEYS_DIR));
    } catch (e) {
      if (code(e) === 'ENOENT') return [];
      throw e;
    }
    const out: KeyOwner[] = [];
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      try {
        const parsed = KeyEntry.safeParse(JSON.parse(await readFile(join(this.home, KEYS_DIR, name), 'utf8')));
        if (parsed.success) out.push({ server: parsed.data.server, account: parsed.data.account });
      } catch {
        // a damaged entry is named when its owner uses it
      }
    }
    return out;
  }

  async readConfig(): Promise<DeviceConfig> {
    let text: string;
    try {
      text = await readFile(join(this.home, CONFIG_FILE), 'utf8');
    } catch (e) {
      if (code(e) === 'ENOENT') return {};
      throw e;
    }
    try {
      const parsed = DeviceConfig.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data;
    } catch {
      // fall through
    }
    throw new ClientError('usage', `${join(this.home, CONFIG_FILE)} is damaged`, { path: join(this.home, CONFIG_FILE) });
  }

  async writeConfig(config: DeviceConfig): Promise<void> {
    await this.writeAtomic(join(this.home, CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`, 0o600);
  }
}
