// VaultClient: keeps the backup key K behind a password in the vault (docs/protocol.md "Vault API").
// The password never leaves this process; K leaves it only sealed under a key derived from the OPAQUE export
// key and bound to the account; the vault returns it inside a box keyed from the OPAQUE session key.
// When the server publishes a realm set (GET /v1/realms; docs/protocol.md "Realms"), K is kept at the realms
// instead (client/realm-vault.ts): registration goes there, and a vault still under protocol 2 (OPAQUE) moves there
// at its next successful recovery (the OPAQUE record is then deleted, so no single operator can test it offline).

import * as opaque from '@serenity-kit/opaque';
import { randomBytes } from 'node:crypto';
import { encodeBase64url, decodeBase64url } from '../protocol/base64url.js';
import { BkvError } from '../protocol/errors.js';
import { OPAQUE_KEY_STRETCHING } from '../protocol/constants.js';
import { openBackupKey, sealBackupKey } from '../protocol/key-seal.js';
import { openLoginBox } from '../protocol/login-box.js';
import { OPAQUE_SIZES, type VaultStatus } from '../protocol/schemas.js';
import { backupKeyBytes, type BackupKey } from './backup-key.js';
import { ClientError } from './errors.js';
import { ApiClient, tokenSubject, type ApiOptions } from './http.js';
import type { RealmSet } from '../protocol/realm/schemas.js';
import { REALM_KEY_STRETCHING } from '../protocol/realm/stretch.js';
import { guessBound } from '../protocol/realm/constants.js';
import { guessesLeft, RealmVault, realmEndpoint } from './realm-vault.js';

type KeyStretching = Parameters<typeof opaque.client.finishLogin>[0]['keyStretching'];
type KeyStretchingCustom = { 'argon2id-custom': { iterations: number; memory: number; parallelism: number } };

export interface VaultClientOptions extends ApiOptions {
  /** The account (the token's `sub`); read from the token when omitted. */
  accountId?: string;
  /**
   * Tests and benchmarks only: a cheaper OPAQUE key stretching. Protocol version 1 fixes Argon2id
   * (t=3, m=64 MiB, p=4); a key registered with anything else can only be recovered with the same setting.
   */
  keyStretching?: KeyStretching;
  /**
   * The realm set to keep K at (pinned by the caller: client/cli/realm-pin.ts), null for the single vault, or
   * undefined to ask the server (GET /v1/realms).
   */
  realmSet?: RealmSet | null;
  /** What the caller should tell the user and that is no error (a protocol-2 vault not moved to the realms yet). */
  onNotice?: (message: string) => void;
}

export interface Registered {
  generation: number;
  maxAttempts: number;
}

/** One realm as `status()` reports it. */
export interface RealmView {
  id: string;
  url: string;
  operator?: string;
  reachable: boolean;
  registered: boolean;
  attemptsRemaining: number;
  allowedGuesses: number;
  locked: boolean;
}

/** The vault's status; `realms` when K is kept at a realm set. */
export type VaultView = VaultStatus & { realms?: { threshold: number; realms: RealmView[] } };

export class VaultClient {
  private readonly api: ApiClient;
  private readonly keyStretching: KeyStretching;

  constructor(private readonly options: VaultClientOptions) {
    this.api = new ApiClient(options);
    this.keyStretching = options.keyStretching ?? OPAQUE_KEY_STRETCHING;
  }

  private async account(): Promise<string> {
    return this.options.accountId ?? tokenSubject(await this.api.token());
  }

  private realmSetPromise: Promise<RealmSet | null> | undefined;

  /** The realm set in use: the caller's, or the server's (404: none). */
  realmSet(): Promise<RealmSet | null> {
    if (this.options.realmSet !== undefined) return Promise.resolve(this.options.realmSet);
    this.realmSetPromise ??= (async () => {
      try {
        return await this.api.call('realm.set');
      } catch (e) {
        if (e instanceof BkvError && e.code === 'not-found') return null;
        throw e;
      }
    })();
    return this.realmSetPromise;
  }

  private async realmVault(): Promise<{ set: RealmSet; vault: RealmVault } | undefined> {
    const set = await this.realmSet();
    if (!set) return undefined;
    const ks: unknown = this.keyStretching;
    const custom = typeof ks === 'object' && ks !== null && 'argon2id-custom' in ks ? (ks as KeyStretchingCustom) : undefined;
    const vault = new RealmVault({
      account: await this.account(), threshold: set.threshold,
      stretching: custom ? { 'argon2id-custom': custom['argon2id-custom'] } : REALM_KEY_STRETCHING,
      realms: set.realms.map((r) => ({
        id: decodeBase64url(r.id)!,
        publicKey: decodeBase64url(r.publicKey)!,
        endpoint: realmEndpoint({ server: r.url, token: this.options.token, ...(this.options.fetch ? { fetch: this.options.fetch } : {}) }),
      })),
    });
    return { set, vault };
  }

  /** The guess bound of a realm registration as the user sees it: ⌊n·L/t⌋ (docs/threat-model.md "Realms"). */
  private static realmBound(set: RealmSet, allowed: readonly number[]): number {
    return guessBound(set.realms.length, set.threshold, 0, Math.min(...allowed));
  }

  /** Registers K behind `password`, replacing any earlier registration (new generation, counter reset). */
  async register(key: BackupKey | Uint8Array, password: string): Promise<Registered> {
    const backupKey = backupKeyBytes(key);
    if (backupKey.length !== 32) throw new ClientError('usage', 'backup key must be 32 bytes');
    if (password.length === 0) throw new ClientError('usage', 'password is empty');
    const realms = await this.realmVault();
    if (realms) {
      const registered = await realms.vault.register(backupKey, password);
      await this.dropSingleVault();
      return { generation: registered.generations[0]!, maxAttempts: VaultClient.realmBound(realms.set, registered.allowedGuesses) };
    }
    await opaque.ready;
    const account = await this.account();
    const { clientRegistrationState, registrationRequest } = opaque.client.startRegistration({ password });
    const { registrationId, registrationResponse } = await this.api.call('vault.registrationStart', { body: { registrationRequest } });
    const { registrationRecord, exportKey } = opaque.client.finishRegistration({
      clientRegistrationState, registrationResponse, password, keyStretching: this.keyStretching,
    });
    const sealedKey = encodeBase64url(sealBackupKey(exportKey, account, backupKey));
    return this.api.call('vault.registrationFinish', { body: { registrationId, registrationRecord, sealedKey } });
  }

  /**
   * Recovers K with `password`. A wrong password throws BkvError 'wrong-password' with
   * `details.attemptsRemaining`; when no attempts are left, 'locked'. The attempt is reported to the vault at
   * once (a deliberately failing finish), so the count is exact and a spent vault is destroyed without delay.
   */
  async recover(password: string): Promise<Uint8Array> {
    const realms = await this.realmVault();
    if (realms) {
      const reports = await realms.vault.status();
      if (reports.some((r) => 'status' in r && r.status.registered)) return realms.vault.recover(password);
      // Protocol 2: recover from the single vault, then move K to the realms under the same password. The password
      // was right and K is here: a realm that does not take the move must not fail the recovery. K then stays in the
      // single vault (what some realms took is withdrawn, so no half-made registration answers next time) and the
      // next successful recovery tries again.
      const key = await this.recoverSingle(password);
      try {
        await realms.vault.register(key, password);
      } catch (e) {
        await realms.vault.withdraw();
        this.options.onNotice?.(`the key was not moved to the realms yet (${e instanceof Error ? e.message : 'a realm did not answer'}); `
          + 'it stays in the single vault, and the next recovery with the password moves it');
        return key;
      }
      await this.dropSingleVault();
      return key;
    }
    return this.recoverSingle(password);
  }

  /** Deletes the protocol-2 (OPAQUE) record once K is at the realms; its repository stays. */
  private async dropSingleVault(): Promise<void> {
    const single = await this.api.call('vault.status');
    if (single.registered) await this.api.call('vault.delete');
  }

  private async recoverSingle(password: string): Promise<Uint8Array> {
    await opaque.ready;
    const account = await this.account();
    const { clientLoginState, startLoginRequest } = opaque.client.startLogin({ password });
    const started = await this.api.call('vault.loginStart', { body: { startLoginRequest } });
    const finished = opaque.client.finishLogin({
      clientLoginState, loginResponse: started.loginResponse, password, keyStretching: this.keyStretching,
    });
    if (!finished) {
      const abort = encodeBase64url(randomBytes(OPAQUE_SIZES.finishLoginRequest));
      await this.api.call('vault.loginFinish', { body: { loginId: started.loginId, finishLoginRequest: abort }, discardAnswer: true });
      throw new ClientError('bad-answer', 'vault accepted a login that failed on this device', { from: 'server' });
    }
    const { sealedKeyBox } = await this.api.call('vault.loginFinish', {
      body: { loginId: started.loginId, finishLoginRequest: finished.finishLoginRequest },
    });
    const box = decodeBase64url(sealedKeyBox);
    if (!box) throw new ClientError('bad-answer', 'server answer does not match the protocol', { from: 'server' });
    const sealed = openLoginBox(finished.sessionKey, started.loginId, box);
    return openBackupKey(finished.exportKey, account, sealed);
  }

  /** Re-registers K under a new password after proving the old one (one attempt is counted). */
  async changePassword(oldPassword: string, newPassword: string): Promise<Registered> {
    const key = await this.recover(oldPassword);
    return this.register(key, newPassword);
  }

  async status(): Promise<VaultView> {
    const single = await this.api.call('vault.status');
    const realms = await this.realmVault();
    if (!realms) return single;
    const reports = await realms.vault.status();
    const views: RealmView[] = reports.map((r) => {
      const entry = realms.set.realms[r.index]!;
      const base = { id: entry.id, url: entry.url, ...(entry.operator ? { operator: entry.operator } : {}) };
      return 'status' in r
        ? { ...base, reachable: true, registered: r.status.registered, attemptsRemaining: r.status.attemptsRemaining, allowedGuesses: r.status.allowedGuesses, locked: r.status.locked }
        : { ...base, reachable: false, registered: false, attemptsRemaining: 0, allowedGuesses: 0, locked: false };
    });
    const live = views.filter((v) => v.registered);
    if (live.length === 0) return { ...single, realms: { threshold: realms.set.threshold, realms: views } }; // protocol 2 (or nothing) so far
    const t = realms.set.threshold;
    const remaining = views.map((v) => (v.registered && !v.locked ? v.attemptsRemaining : 0));
    const maxAttempts = VaultClient.realmBound(realms.set, live.map((v) => v.allowedGuesses));
    const attemptsRemaining = guessesLeft(remaining, t);
    return {
      registered: true, generation: 0, attemptsRemaining, maxAttempts, locked: live.length >= t && attemptsRemaining === 0 && views.every((v) => v.reachable),
      realms: { threshold: t, realms: views },
    };
  }

  /** `backupsSignature`: the repository's signature of the backups' deletion (HttpRepoStore.deleteAllSignature). */
  async delete(options: { backups?: boolean; backupsSignature?: Record<string, string> } = {}): Promise<void> {
    const realms = await this.realmVault();
    if (realms) await realms.vault.delete();
    await this.api.call('vault.delete', { ...(options.backups ? { query: { backups: 'true' as const } } : {}), headers: options.backupsSignature });
  }
}
