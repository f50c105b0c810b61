// Device state of the `bkv` CLI under $BKV_HOME (default ~/.bkv, directory mode 0700):
//   backup-key    the backup key K as 64 lowercase hex digits, mode 0600, written atomically
//   config.json   { server, account, protection: "password" | "key" } of the last init or restore
// K is never logged; a key file others can read is refused.

import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';
import { BackupKey } from './backup-key.js';
import { ClientError } from './errors.js';

export const KEY_FILE = 'backup-key';
export const CONFIG_FILE = 'config.json';

export const DeviceConfig = z.object({
  server: z.string().optional(),
  account: z.string().optional(),
  protection: z.enum(['password', 'key']).optional(),
});
export type DeviceConfig = z.infer<typeof DeviceConfig>;

export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.BKV_HOME || join(homedir(), '.bkv');
}

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

export class DeviceState {
  constructor(readonly home: string) {}

  get keyPath(): string {
    return join(this.home, KEY_FILE);
  }

  private async ensureHome(): Promise<void> {
    await mkdir(this.home, { recursive: true, mode: 0o700 });
    await chmod(this.home, 0o700);
  }

  /** Writes `bytes` to `name` under the home directory with `mode`, atomically (temp file, fsync, rename). */
  private async writeAtomic(name: string, bytes: string, mode: number): Promise<void> {
    await this.ensureHome();
    const path = join(this.home, name);
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

  async hasKey(): Promise<boolean> {
    try {
      await stat(this.keyPath);
      return true;
    } catch (e) {
      if (code(e) === 'ENOENT') return false;
      throw e;
    }
  }

  /** K, or undefined when this device has none. */
  async readKey(): Promise<BackupKey | undefined> {
    let text: string;
    try {
      const st = await stat(this.keyPath);
      if ((st.mode & 0o077) !== 0) {
        throw new ClientError('usage', `${this.keyPath} is readable by others; run: chmod 600 ${this.keyPath}`, { path: this.keyPath });
      }
      text = await readFile(this.keyPath, 'utf8');
    } catch (e) {
      if (code(e) === 'ENOENT') return undefined;
      throw e;
    }
    const hex = text.trim();
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new ClientError('usage', `${this.keyPath} is damaged (expected 64 hex digits)`, { path: this.keyPath });
    return BackupKey.fromBytes(Buffer.from(hex, 'hex'));
  }

  async writeKey(key: BackupKey): Promise<void> {
    await this.writeAtomic(KEY_FILE, `${Buffer.from(key.exposeBytes()).toString('hex')}\n`, 0o600);
  }

  async removeKey(): Promise<void> {
    await rm(this.keyPath, { force: true });
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
    await this.writeAtomic(CONFIG_FILE, `${JSON.stringify(config, null, 2)}\n`, 0o600);
  }
}
