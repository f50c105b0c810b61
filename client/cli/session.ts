// What every server-facing `bkv` command needs: the server (flag > env > device config > default), a bearer
// token and the account it is for, the device state under $BKV_HOME, and the prompter. Tokens, in this order:
//   BKV_TOKEN            a token for scripts; its `sub` is the account
//   BKV_LOCAL_SECRET_FILE the local runtime's shortcut for scripts and tests only (README "Scripts and tests"):
//                        the secret file of its data dir lets this process mint a token for --account/BKV_ACCOUNT
//   the device's sign-in `bkv login` stored in $BKV_HOME/sign-in.json, renewed as it nears expiry, also in the
//                        middle of a long backup or restore (client/auth/sign-in.ts)
// Without any of them a command fails with "sign in with bkv login" (exit 1). Tokens are never printed. To keep
// the CLI's memory low, API calls go through node:http (client/node-fetch.ts, no undici) and the vault client
// (OPAQUE's WASM) and openid-client are loaded only by commands that use them.

import { readFile } from 'node:fs/promises';
import { BkvError } from '../../protocol/errors.js';
import { ClientError, hostOf } from '../errors.js';
import { routeUrl } from '../../protocol/routes.js';
import { LOCAL_TOKEN_PATH, LocalTokenResponse } from '../../protocol/schemas.js';
import { TokenStore, type StoredSignIn } from '../auth/token-store.js';
import type { BackupKey } from '../backup-key.js';
import { DeviceState, defaultHome, describeOwner, type DeviceConfig, type KeyOwner, type Protection } from '../device.js';
import { ApiClient, toError, tokenSubject, type TokenProvider } from '../http.js';
import { nodeFetch } from '../node-fetch.js';
import { printable } from '../printable.js';
import type { VaultClient, VaultView } from '../vault-client.js';
import type { RealmSet } from '../../protocol/realm/schemas.js';
import { HttpRepoStore } from '../repo/storage/http-store.js';
import type { RepoStore } from '../repo/storage/store.js';
import { type ConnectionFlags, DEFAULT_ACCOUNT, DEFAULT_SERVER } from './options.js';
import { Prompter } from './prompt.js';
import { sayLine } from './say.js';

export class Session {
  readonly device: DeviceState;
  readonly prompt: Prompter;
  private tokenPromise: Promise<string> | undefined;
  private repoStorePromise: Promise<RepoStore> | undefined;
  private configCache: DeviceConfig | undefined;

  /** Where password recovery runs (client/cli/vault-recover.ts): this worker script, or this thread. */
  readonly vaultWorker: URL | undefined;

  constructor(private readonly flags: ConnectionFlags, readonly env: NodeJS.ProcessEnv = process.env, options: { vaultWorker?: URL } = {}) {
    this.vaultWorker = options.vaultWorker;
    this.device = new DeviceState(defaultHome(env));
    this.prompt = new Prompter();
  }

  async config(): Promise<DeviceConfig> {
    // an older bkv's one key is bound to the account config.json names before anything (login) rewrites it
    await this.device.migrate();
    this.configCache ??= await this.device.readConfig();
    return this.configCache;
  }

  async server(): Promise<string> {
    const server = this.flags.server || this.env.BKV_SERVER || (await this.config()).server || DEFAULT_SERVER;
    try {
      const url = new URL(server);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    } catch {
      throw new ClientError('usage', `bad server url: ${server}`);
    }
    return server.replace(/\/+$/, '');
  }

  /** Where this device keeps its sign-ins. */
  get signIns(): TokenStore {
    return new TokenStore(this.device.home);
  }

  /** The device's sign-in for the server, if any (BKV_TOKEN and the local shortcut do not use it). */
  async signIn(): Promise<StoredSignIn | undefined> {
    return this.signIns.get(await this.server());
  }

  usesSignIn(): boolean {
    return !this.env.BKV_TOKEN && !this.env.BKV_LOCAL_SECRET_FILE;
  }

  /**
   * The account: the token's subject with BKV_TOKEN, the signed-in subject with a sign-in, and for the local
   * shortcut flag > env > device config > `me`.
   */
  async account(): Promise<string> {
    const token = this.env.BKV_TOKEN;
    const wanted = this.flags.account || this.env.BKV_ACCOUNT;
    if (token) {
      const sub = tokenSubject(token);
      if (wanted && wanted !== sub) throw new ClientError('usage', `BKV_TOKEN is for another account than ${wanted}`);
      return sub;
    }
    if (this.env.BKV_LOCAL_SECRET_FILE) return wanted || (await this.config()).account || DEFAULT_ACCOUNT;
    const subject = (await this.provider()).subject;
    if (wanted && wanted !== subject) throw new ClientError('usage', printable(`signed in as ${subject}, not ${wanted} (--account is for the local shortcut only)`, 1000));
    return subject;
  }

  private providerPromise: Promise<TokenProvider & { subject: string }> | undefined;

  /** The token provider of this process (see the header). */
  provider(): Promise<TokenProvider & { subject: string }> {
    this.providerPromise ??= this.makeProvider();
    return this.providerPromise;
  }

  private async makeProvider(): Promise<TokenProvider & { subject: string }> {
    if (this.env.BKV_TOKEN) {
      const token = this.env.BKV_TOKEN;
      return { subject: tokenSubject(token), token: async () => token };
    }
    const server = await this.server();
    if (this.env.BKV_LOCAL_SECRET_FILE) {
      const accountId = await this.account();
      this.tokenPromise ??= this.localToken(server, accountId, this.env.BKV_LOCAL_SECRET_FILE);
      const tokenPromise = this.tokenPromise;
      return { subject: accountId, token: () => tokenPromise };
    }
    const { SignedIn } = await import('../auth/sign-in.js');
    const found = await this.signIns.get(server);
    if (!found) throw await this.signInRequired(server);
    const signedIn = new SignedIn(this.signIns, server);
    return { subject: found.subject, token: () => signedIn.token(), renew: (stale) => signedIn.renew(stale) };
  }

  /**
   * "not signed in to <server>", unless the server does not answer at all: then "cannot reach <server>" (a
   * mistyped --server port is no reason to sign in again).
   */
  async signInRequired(server: string): Promise<Error> {
    const { signInRequired } = await import('../auth/sign-in.js');
    try {
      await nodeFetch(routeUrl(server, 'auth.config'), { method: 'GET', signal: AbortSignal.timeout(5_000) }).then((res) => res.body?.cancel());
    } catch (e) {
      return new ClientError('unreachable', `cannot reach ${server} (is the server running? see --server and BKV_SERVER)`, { host: hostOf(server) }, { cause: e });
    }
    return signInRequired(server);
  }

  token(): Promise<string> {
    return this.provider().then((p) => p.token());
  }

  /** The local runtime's shortcut: POST /local/v1/token with the secret of its data dir. */
  private async localToken(server: string, accountId: string, secretFile: string): Promise<string> {
    let secret: string;
    try {
      secret = (await readFile(secretFile, 'utf8')).trim();
    } catch (e) {
      throw new ClientError('usage', printable(`cannot read BKV_LOCAL_SECRET_FILE ${secretFile}`, 1000), { path: secretFile }, { cause: e });
    }
    let res: Response;
    try {
      res = await nodeFetch(`${server}${LOCAL_TOKEN_PATH}`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` }, body: JSON.stringify({ accountId }),
      });
    } catch (e) {
      const host = hostOf(server);
      throw new ClientError('unreachable', `cannot reach ${server} (is the server running? see --server and BKV_SERVER)`, { host }, { cause: e });
    }
    const text = await res.text();
    if (res.status === 404 || res.status === 405) {
      throw new ClientError('sign-in', 'this server has no local token shortcut: sign in with bkv login', { server });
    }
    if (res.status === 401) throw new ClientError('sign-in', 'the local runtime refused BKV_LOCAL_SECRET_FILE\'s secret: sign in with bkv login', { server });
    if (!res.ok) {
      const e = toError(res.status, text);
      // 409: the name was signed up on the sign-in page, so it is not the shortcut's (the runtime says how to sign in)
      throw new BkvError(e.code, `cannot get a token for account ${accountId} (${res.status})${e.code === 'conflict' ? `: ${e.message}` : ''}`);
    }
    try {
      return LocalTokenResponse.parse(JSON.parse(text)).token;
    } catch {
      throw new ClientError('bad-answer', 'server answered with an invalid token response', { from: 'server', status: res.status });
    }
  }

  async api(): Promise<ApiClient> {
    return new ApiClient({ server: await this.server(), token: await this.provider(), fetch: nodeFetch });
  }

  async vault(): Promise<VaultClient> {
    const { VaultClient } = await import('../vault-client.js');
    return new VaultClient({
      server: await this.server(), token: await this.provider(), accountId: await this.account(), fetch: nodeFetch, realmSet: await this.realmSet(),
      onNotice: (m) => this.say(m),
    });
  }

  /** The server's realm set, pinned on first use (client/cli/realm-pin.ts); null for a single vault. */
  async realmSet(): Promise<RealmSet | null> {
    const { pinnedRealmSet } = await import('./realm-pin.js');
    return pinnedRealmSet(this.device.home, await this.server());
  }

  /** GET /v1/vault without loading the OPAQUE client; with a realm set, the realms' view (client/vault-client.ts). */
  async vaultStatus(): Promise<VaultView> {
    if (await this.realmSet()) return (await this.vault()).status();
    return (await this.api()).call('vault.status');
  }

  /** The account's snapshot repository on the server (docs/protocol.md "Repository API"): one per session. */
  repoStore(): Promise<RepoStore> {
    this.repoStorePromise ??= this.api().then((api) => new HttpRepoStore(api));
    return this.repoStorePromise;
  }

  /** The server and account whose backup key this command uses (README "Device state"). */
  async owner(): Promise<KeyOwner> {
    return { server: await this.server(), account: await this.account() };
  }

  /** The signed-in account's K on this device (never another account's), or undefined. */
  async deviceKey(): Promise<BackupKey | undefined> {
    return this.device.readKey(await this.owner());
  }

  /** Keeps K on this device for the signed-in account, and remembers the server and account as the defaults. */
  async keepKey(key: BackupKey, protection: Protection): Promise<string> {
    const owner = await this.owner();
    await this.device.writeKey(owner, key, protection);
    await this.device.writeConfig({ server: owner.server, account: owner.account });
    return this.device.keyPathFor(owner);
  }

  /** What to say when this device has no K for the signed-in account. */
  async noKeyMessage(): Promise<string> {
    const owner = await this.owner();
    const legacy = await this.device.unboundLegacyKey();
    // a key for the same account at another server: most likely a mistyped --server (or BKV_SERVER), not a new device
    const elsewhere = (await this.device.owners()).filter((o) => o.account === owner.account && o.server !== owner.server).map((o) => o.server);
    return `this device has no backup key for ${describeOwner(owner)}: run bkv key fetch (the vault password) or bkv init`
      + (elsewhere.length > 0 ? ` (it has one for ${owner.account} at ${elsewhere.join(', ')}: is --server right?)` : '')
      + (legacy ? ` (${legacy}, kept by an older bkv, names no account: if it is this account's, run bkv key import < ${legacy})` : '');
  }

  private readonly given = new Map<string, Promise<string | undefined>>();

  /**
   * The password the command line or the environment gives, or undefined: --password-file/--password-command,
   * else BKV_PASSWORD (for `envName` BKV_NEW_PASSWORD: --new-password-file/--new-password-command, else
   * BKV_NEW_PASSWORD). Read once per process (client/cli/password-source.ts).
   */
  givenPassword(envName = 'BKV_PASSWORD'): Promise<string | undefined> {
    let found = this.given.get(envName);
    if (!found) {
      const source = envName === 'BKV_NEW_PASSWORD'
        ? { file: this.flags.newPasswordFile, command: this.flags.newPasswordCommand, names: { file: '--new-password-file', command: '--new-password-command' } }
        : { file: this.flags.passwordFile, command: this.flags.passwordCommand, names: { file: '--password-file', command: '--password-command' } };
      found = import('./password-source.js').then(async ({ passwordFromSource }) => (await passwordFromSource(source)) ?? (this.env[envName] || undefined));
      this.given.set(envName, found);
    }
    return found;
  }

  /** A password given by a flag or BKV_PASSWORD (or `envName`), or asked for. */
  async password(question = 'password: ', envName = 'BKV_PASSWORD'): Promise<string> {
    return (await this.givenPassword(envName)) ?? this.prompt.secret(question);
  }

  /** Writes a line for humans on stderr (results go to stdout), above a progress bar if one is shown. */
  say(line: string): void {
    sayLine(line);
  }
}
