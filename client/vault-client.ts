// VaultClient: keeps the backup key K behind a password in the vault (docs/protocol.md "Vault API").
// The password never leaves this process; K leaves it only sealed under a key derived from the OPAQUE export
// key and bound to the account; the vault returns it inside a box keyed from the OPAQUE session key.

import * as opaque from '@serenity-kit/opaque';
import { randomBytes } from 'node:crypto';
import { encodeBase64url, decodeBase64url } from '../protocol/base64url.js';
import { OPAQUE_KEY_STRETCHING } from '../protocol/constants.js';
import { openBackupKey, sealBackupKey } from '../protocol/key-seal.js';
import { openLoginBox } from '../protocol/login-box.js';
import {
  LoginFinishResponse, LoginStartResponse, OPAQUE_SIZES, RegistrationFinishResponse, RegistrationStartResponse,
  VaultStatusResponse, type VaultStatus,
} from '../protocol/schemas.js';
import { backupKeyBytes, type BackupKey } from './backup-key.js';
import { ClientError } from './errors.js';
import { ApiClient, tokenSubject, type ApiOptions } from './http.js';

type KeyStretching = Parameters<typeof opaque.client.finishLogin>[0]['keyStretching'];

export interface VaultClientOptions extends ApiOptions {
  /** The account (the token's `sub`); read from the token when omitted. */
  accountId?: string;
  /**
   * Tests and benchmarks only: a cheaper OPAQUE key stretching. Protocol version 1 fixes Argon2id
   * (t=3, m=64 MiB, p=4); a key registered with anything else can only be recovered with the same setting.
   */
  keyStretching?: KeyStretching;
}

export interface Registered {
  generation: number;
  maxAttempts: number;
}

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

  /** Registers K behind `password`, replacing any earlier registration (new generation, counter reset). */
  async register(key: BackupKey | Uint8Array, password: string): Promise<Registered> {
    const backupKey = backupKeyBytes(key);
    if (backupKey.length !== 32) throw new ClientError('usage', 'backup key must be 32 bytes');
    if (password.length === 0) throw new ClientError('usage', 'password is empty');
    await opaque.ready;
    const account = await this.account();
    const { clientRegistrationState, registrationRequest } = opaque.client.startRegistration({ password });
    const { registrationId, registrationResponse } = await this.api.request(
      'POST', '/v1/vault/registration/start', { registrationRequest }, RegistrationStartResponse,
    );
    const { registrationRecord, exportKey } = opaque.client.finishRegistration({
      clientRegistrationState, registrationResponse, password, keyStretching: this.keyStretching,
    });
    const sealedKey = encodeBase64url(sealBackupKey(exportKey, account, backupKey));
    return this.api.request('POST', '/v1/vault/registration/finish', { registrationId, registrationRecord, sealedKey }, RegistrationFinishResponse);
  }

  /**
   * Recovers K with `password`. A wrong password throws BkvError 'wrong-password' with
   * `details.attemptsRemaining`; when no attempts are left, 'locked'. The attempt is reported to the vault at
   * once (a deliberately failing finish), so the count is exact and a spent vault is destroyed without delay.
   */
  async recover(password: string): Promise<Uint8Array> {
    await opaque.ready;
    const account = await this.account();
    const { clientLoginState, startLoginRequest } = opaque.client.startLogin({ password });
    const started = await this.api.request('POST', '/v1/vault/login/start', { startLoginRequest }, LoginStartResponse);
    const finished = opaque.client.finishLogin({
      clientLoginState, loginResponse: started.loginResponse, password, keyStretching: this.keyStretching,
    });
    if (!finished) {
      const abort = encodeBase64url(randomBytes(OPAQUE_SIZES.finishLoginRequest));
      await this.api.request('POST', '/v1/vault/login/finish', { loginId: started.loginId, finishLoginRequest: abort });
      throw new ClientError('bad-answer', 'vault accepted a login that failed on this device', { from: 'server' });
    }
    const { sealedKeyBox } = await this.api.request('POST', '/v1/vault/login/finish', {
      loginId: started.loginId, finishLoginRequest: finished.finishLoginRequest,
    }, LoginFinishResponse);
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

  status(): Promise<VaultStatus> {
    return this.api.request('GET', '/v1/vault', undefined, VaultStatusResponse);
  }

  async delete(options: { backups?: boolean } = {}): Promise<void> {
    await this.api.request('DELETE', options.backups ? '/v1/vault?backups=true' : '/v1/vault');
  }
}
