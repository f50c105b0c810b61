// What every server-facing `bkv` command needs: the server and account (flag > env > device config > default),
// a bearer token (BKV_TOKEN, or one fetched from the local runtime's POST /local/v1/token for the account), the
// device state under $BKV_HOME, and the prompter. The token is never printed. To keep the CLI's memory low, API
// calls go through node:http (client/node-fetch.ts, no undici) and the vault client (OPAQUE's WASM) is loaded
// only by commands that use the vault.

import { BkvError } from '../../protocol/errors.js';
import { LocalTokenResponse, VaultStatusResponse, type VaultStatus } from '../../protocol/schemas.js';
import { BackupsClient } from '../backups-client.js';
import { httpTransport } from '../blob-transport.js';
import { DeviceState, defaultHome, type DeviceConfig } from '../device.js';
import { ApiClient, tokenSubject } from '../http.js';
import { nodeFetch } from '../node-fetch.js';
import type { VaultClient } from '../vault-client.js';
import { HttpRepoStore } from '../repo/http-store.js';
import type { RepoStore } from '../repo/store.js';
import { type ConnectionFlags, DEFAULT_ACCOUNT, DEFAULT_SERVER } from './options.js';
import { Prompter } from './prompt.js';


export class Session {
  readonly device: DeviceState;
  readonly prompt: Prompter;
  private tokenPromise: Promise<string> | undefined;
  private configCache: DeviceConfig | undefined;

  constructor(private readonly flags: ConnectionFlags, readonly env: NodeJS.ProcessEnv = process.env) {
    this.device = new DeviceState(defaultHome(env));
    this.prompt = new Prompter();
  }

  async config(): Promise<DeviceConfig> {
    this.configCache ??= await this.device.readConfig();
    return this.configCache;
  }

  async server(): Promise<string> {
    const server = this.flags.server || this.env.BKV_SERVER || (await this.config()).server || DEFAULT_SERVER;
    try {
      const url = new URL(server);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    } catch {
      throw new BkvError('bad-request', `bad server url: ${server}`);
    }
    return server.replace(/\/+$/, '');
  }

  /** The account: the token's subject when BKV_TOKEN is set, else flag > env > device config > `me`. */
  async account(): Promise<string> {
    const token = this.env.BKV_TOKEN;
    const wanted = this.flags.account || this.env.BKV_ACCOUNT;
    if (token) {
      const sub = tokenSubject(token);
      if (wanted && wanted !== sub) throw new BkvError('bad-request', `BKV_TOKEN is for another account than ${wanted}`);
      return sub;
    }
    return wanted || (await this.config()).account || DEFAULT_ACCOUNT;
  }

  token(): Promise<string> {
    this.tokenPromise ??= this.fetchToken();
    return this.tokenPromise;
  }

  private async fetchToken(): Promise<string> {
    if (this.env.BKV_TOKEN) return this.env.BKV_TOKEN;
    const server = await this.server();
    const accountId = await this.account();
    let res: Response;
    try {
      res = await nodeFetch(`${server}/local/v1/token`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accountId }),
      });
    } catch (e) {
      throw new BkvError('unavailable', `cannot reach ${new URL(server).host} (is the server running? see BKV_SERVER)`, { cause: e });
    }
    const text = await res.text();
    if (res.status === 404 || res.status === 405) {
      throw new BkvError('invalid-token', 'this server hands out no tokens: set BKV_TOKEN');
    }
    if (!res.ok) throw new BkvError(res.status === 400 ? 'bad-request' : 'unavailable', `cannot get a token for account ${accountId} (${res.status})`);
    try {
      return LocalTokenResponse.parse(JSON.parse(text)).token;
    } catch {
      throw new BkvError('internal', 'server answered with an invalid token response');
    }
  }

  async api(): Promise<ApiClient> {
    return new ApiClient({ server: await this.server(), token: () => this.token(), fetch: nodeFetch });
  }

  async vault(): Promise<VaultClient> {
    const { VaultClient } = await import('../vault-client.js');
    return new VaultClient({ server: await this.server(), token: () => this.token(), accountId: await this.account(), fetch: nodeFetch });
  }

  /** GET /v1/vault without loading the OPAQUE client. */
  async vaultStatus(): Promise<VaultStatus> {
    return (await this.api()).request('GET', '/v1/vault', undefined, VaultStatusResponse);
  }

  /** The account's snapshot repository on the server (docs/protocol.md "Repository API"). */
  async repoStore(): Promise<RepoStore> {
    return new HttpRepoStore(await this.api());
  }

  async backups(): Promise<BackupsClient> {
    return new BackupsClient({ server: await this.server(), token: () => this.token(), fetch: nodeFetch, transport: httpTransport() });
  }

  /** Remembers where this device's key belongs. */
  async remember(protection: 'password' | 'key'): Promise<void> {
    await this.device.writeConfig({ server: await this.server(), account: await this.account(), protection });
  }

  /** A password from BKV_PASSWORD (or `envName`), or asked for. */
  async password(question = 'password: ', envName = 'BKV_PASSWORD'): Promise<string> {
    const fromEnv = this.env[envName];
    if (fromEnv) return fromEnv;
    return this.prompt.secret(question);
  }

  /** Writes a line for humans on stderr (results go to stdout). */
  say(line: string): void {
    process.stderr.write(`${line}\n`);
  }
}
