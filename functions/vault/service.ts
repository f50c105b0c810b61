// The vault service: password-protected backup keys with a hard guess limit (docs/protocol.md "Vault API",
// docs/threat-model.md invariants 1-5). Pure logic over the VaultStore, Sealer and Clock ports; OPAQUE runs through
// @serenity-kit/opaque. Every login start is counted by one conditional write before its answer exists outside this
// process, and no other route evaluates the OPRF under a live record's key: each registration start draws a fresh
// credential identifier, which only its own finish can install (docs/threat-model.md, invariant 2).

import { timingSafeEqual } from 'node:crypto';
import { decodeBase64url, encodeBase64url } from '../../protocol/base64url.js';
import { defaultRandomBytes, type RandomBytes } from '../../protocol/random.js';
import { LOGIN_TTL_MS, REGISTRATION_TTL_MS } from '../../protocol/constants.js';
import { BkvError } from '../../protocol/errors.js';
import { sealLoginBox } from '../../protocol/login-box.js';
import { CREDENTIAL_ID_BYTES, LOGIN_ID_BYTES, REGISTRATION_ID_BYTES, type VaultStatus } from '../../protocol/schemas.js';
import type { Clock, SealContext, Sealer, VaultItem, VaultStore } from '../ports.js';
import { opaqueClient, opaqueServer } from './opaque.js';

export interface VaultServiceDeps {
  store: VaultStore;
  sealer: Sealer;
  clock: Clock;
  /** Resolves the deployment's OPAQUE server setup (cached per cold start). */
  serverSetup: () => Promise<string>;
  /** Deployment setting, 1–255. */
  maxAttempts: number;
  random?: RandomBytes;
}

export interface RegistrationStarted {
  registrationId: string;
  registrationResponse: string;
}

export interface LoginStarted {
  loginId: string;
  loginResponse: string;
  attemptsRemaining: number;
}

const ctx = (purpose: SealContext['purpose'], account: string): SealContext => ({ purpose, account });

function lockedError(): BkvError {
  return new BkvError('locked', 'vault is locked: no attempts left', { details: { attemptsRemaining: 0 } });
}

/** The OPAQUE credential identifier as @serenity-kit/opaque takes it (its `userIdentifier`). */
const credential = (id: Uint8Array): string => encodeBase64url(id);

/** A live item: record, sealed key and credential identifier all present. */
type LiveItem = VaultItem & { record: Uint8Array; sealedKey: Uint8Array; credentialId: Uint8Array };

function registrationExpired(): BkvError {
  return new BkvError('registration-expired', 'registration is unknown, used or expired; start again');
}

function sameId(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export class VaultService {
  private readonly random: RandomBytes;

  constructor(private readonly deps: VaultServiceDeps) {
    this.random = deps.random ?? defaultRandomBytes;
  }

  /** The live item, or the right error: 404 when there is none, 423 when destroyed. */
  private async live(account: string): Promise<LiveItem> {
    const item = await this.deps.store.get(account);
    if (!item || item.state === 'empty') throw new BkvError('not-found', 'no vault for this account');
    if (item.state === 'destroyed' || !item.record || !item.sealedKey || !item.credentialId) throw lockedError();
    return item as LiveItem;
  }

  /** The count is spent: destroy now unless a login is still in flight; either way the answer is 423. */
  private async spent(item: VaultItem, now: number): Promise<never> {
    await this.deps.store.destroyIfSpent(item.account, item.generation, now);
    throw lockedError();
  }

  /**
   * Evaluates the OPRF under a fresh credential identifier (never a live record's), remembered as this account's
   * one pending registration. Answers in every state: it reveals nothing about the live record.
   */
  async registrationStart(account: string, registrationRequest: string): Promise<RegistrationStarted> {
    const serverSetup = await this.deps.serverSetup();
    const credentialId = this.random(CREDENTIAL_ID_BYTES);
    let registrationResponse: string;
    try {
      ({ registrationResponse } = opaqueServer.createRegistrationResponse({
        serverSetup, userIdentifier: credential(credentialId), registrationRequest,
      }));
    } catch (e) {
      throw new BkvError('bad-request', 'registration request is not a valid opaque message', { cause: e });
    }
    const now = this.deps.clock.now();
    const registrationId = encodeBase64url(this.random(REGISTRATION_ID_BYTES));
    await this.deps.store.startRegistration(account, { registrationId, credentialId, expiresAt: now + REGISTRATION_TTL_MS }, now);
    return { registrationId, registrationResponse };
  }

  /**
   * Installs the record of the pending registration `registrationId` (single use, unexpired): a new generation,
   * attempts 0. The record must be a valid OPAQUE registration record, or nothing changes.
   */
  async registrationFinish(
    account: string, registrationId: string, registrationRecord: string, sealedKey: Uint8Array,
  ): Promise<{ generation: number; maxAttempts: number }> {
    const now = this.deps.clock.now();
    const pending = (await this.deps.store.get(account))?.registration;
    if (!pending || !sameId(pending.registrationId, registrationId) || pending.expiresAt <= now) throw registrationExpired();
    const record = decodeBase64url(registrationRecord);
    if (!record) throw new BkvError('bad-request', 'registration record is not base64url');
    await this.checkRecord(pending.credentialId, registrationRecord);
    const [sealedRecord, wrappedKey] = await Promise.all([
      this.deps.sealer.seal(record, ctx('opaque-record', account)),
      this.deps.sealer.seal(sealedKey, ctx('sealed-key', account)),
    ]);
    const generation = await this.deps.store.register(account, {
      registrationId, credentialId: pending.credentialId, record: sealedRecord, sealedKey: wrappedKey,
      maxAttempts: this.deps.maxAttempts, now,
    });
    if (generation === undefined) throw registrationExpired();
    return { generation, maxAttempts: this.deps.maxAttempts };
  }

  /**
   * A record is accepted only if a login could start against it: opaque-ke parses it (the client public key
   * must be a valid ristretto255 point) in a trial login start whose answer is thrown away.
   */
  private async checkRecord(credentialId: Uint8Array, registrationRecord: string): Promise<void> {
    const serverSetup = await this.deps.serverSetup();
    const { startLoginRequest } = opaqueClient.startLogin({ password: encodeBase64url(this.random(16)) });
    try {
      opaqueServer.startLogin({ serverSetup, userIdentifier: credential(credentialId), registrationRecord, startLoginRequest });
    } catch (e) {
      throw new BkvError('bad-request', 'registration record is not a valid opaque record', { cause: e });
    }
  }

  async loginStart(account: string, startLoginRequest: string): Promise<LoginStarted> {
    const now = this.deps.clock.now();
    const item = await this.live(account);
    if (item.attempts >= item.maxAttempts) await this.spent(item, now);

    const [serverSetup, recordBytes] = await Promise.all([
      this.deps.serverSetup(),
      this.deps.sealer.unseal(item.record, ctx('opaque-record', account)),
    ]);
    let started: { serverLoginState: string; loginResponse: string };
    try {
      started = opaqueServer.startLogin({
        serverSetup, userIdentifier: credential(item.credentialId), registrationRecord: encodeBase64url(recordBytes), startLoginRequest,
      });
    } catch (e) {
      throw new BkvError('bad-request', 'login request is not a valid opaque message', { cause: e });
    }
    const loginId = encodeBase64url(this.random(LOGIN_ID_BYTES));
    const state = await this.deps.sealer.seal(Buffer.from(started.serverLoginState, 'utf8'), ctx('login-state', account));

    // The attempt is counted here, atomically; only afterwards does the login response leave this function.
    const attempts = await this.deps.store.startLogin(account, item.generation, { loginId, state, expiresAt: now + LOGIN_TTL_MS }, now);
    if (attempts === undefined) {
      const after = await this.live(account);
      if (after.generation !== item.generation) throw new BkvError('conflict', 'vault was re-registered, retry');
      return this.spent(after, now);
    }
    return { loginId, loginResponse: started.loginResponse, attemptsRemaining: item.maxAttempts - attempts };
  }

  async loginFinish(account: string, loginId: string, finishLoginRequest: string): Promise<{ sealedKeyBox: Uint8Array }> {
    const now = this.deps.clock.now();
    const item = await this.live(account);
    const pending = item.pending;
    if (!pending || !sameId(pending.loginId, loginId) || pending.expiresAt <= now) {
      if (item.attempts >= item.maxAttempts) await this.spent(item, now);
      throw new BkvError('login-expired', 'login is unknown, used or expired; start again');
    }

    const serverLoginState = Buffer.from(await this.deps.sealer.unseal(pending.state, ctx('login-state', account))).toString('utf8');
    let sessionKey: string | undefined;
    try {
      sessionKey = opaqueServer.finishLogin({ finishLoginRequest, serverLoginState }).sessionKey;
    } catch {
      sessionKey = undefined; // KE3 did not verify: a failed attempt
    }

    const outcome = sessionKey === undefined ? 'failure' : 'success';
    const destroy = outcome === 'failure' && item.attempts >= item.maxAttempts;
    const consumed = await this.deps.store.finishLogin(account, {
      generation: item.generation, loginId, attempts: item.attempts, now, outcome, destroy,
    });
    if (!consumed) throw new BkvError('login-expired', 'login is unknown, used or expired; start again');

    if (sessionKey === undefined) {
      if (destroy) throw new BkvError('locked', 'wrong password; no attempts left, the key was destroyed', { details: { attemptsRemaining: 0 } });
      throw new BkvError('wrong-password', 'wrong password', { details: { attemptsRemaining: item.maxAttempts - item.attempts } });
    }
    const sealedKey = await this.deps.sealer.unseal(item.sealedKey, ctx('sealed-key', account));
    return { sealedKeyBox: sealLoginBox(sessionKey, loginId, sealedKey, this.random) };
  }

  async status(account: string): Promise<VaultStatus> {
    const item = await this.deps.store.get(account);
    if (!item || item.state === 'empty') {
      return { registered: false, generation: item?.generation ?? 0, attemptsRemaining: 0, maxAttempts: this.deps.maxAttempts, locked: false };
    }
    const now = this.deps.clock.now();
    const inFlight = item.pending !== undefined && item.pending.expiresAt > now;
    const destroyed = item.state === 'destroyed';
    const locked = destroyed || (item.attempts >= item.maxAttempts && !inFlight);
    return {
      registered: true,
      generation: item.generation,
      attemptsRemaining: destroyed ? 0 : Math.max(0, item.maxAttempts - item.attempts),
      maxAttempts: item.maxAttempts,
      locked,
    };
  }

  async delete(account: string): Promise<void> {
    await this.deps.store.delete(account, this.deps.clock.now());
  }
}
