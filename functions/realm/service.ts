// The realm service: one realm of a t-of-n realm set (docs/protocol.md "Realms", docs/threat-model.md "Realms").
// Pure logic over the RealmStore, Sealer and Clock ports. The share is evaluated only inside a counted recovery
// start, after the one conditional write that counts it; registration opens the record the client boxed to this
// realm's public key, stores it and evaluates nothing (never an oracle); the counter resets only after a valid unlock proof over a fresh single-use challenge;
// a spent count destroys the record. Each realm holds one share: c < t realms together cannot test a password.

import { timingSafeEqual } from 'node:crypto';
import { BkvError } from '../../protocol/errors.js';
import { defaultRandomBytes, type RandomBytes } from '../../protocol/random.js';
import { CHALLENGE_BYTES, RECOVERY_TTL_MS } from '../../protocol/realm/constants.js';
import { x25519Shared } from '../../protocol/realm/keys.js';
import { checkRecord, decodeBoxedRecord, decodeRecord, encodeRecord, type RealmRecord } from '../../protocol/realm/record.js';
import { openRegistration, realmKeyPair, type RealmKeyPair } from '../../protocol/realm/registration-box.js';
import { evaluateRecord, sealShareBox, verifyUnlockProof } from '../../protocol/realm/realm-side.js';
import { elementFromBytes } from '../../protocol/realm/shamir.js';
import type { RealmStatus } from '../../protocol/realm/schemas.js';
import { encodeBase64url } from '../../protocol/base64url.js';
import type { Clock, RealmItem, RealmStore, SealContext, Sealer } from '../ports.js';

export interface RealmServiceDeps {
  store: RealmStore;
  sealer: Sealer;
  clock: Clock;
  /** This realm's id (16 bytes), as the realm set names it. */
  realmId: Uint8Array;
  /** The most guesses this realm grants per registration (1–255); a client asks for at most this. */
  maxAttempts: number;
  /**
   * The 32-byte seed of this realm's long-term registration key (RFC 9180 DeriveKeyPair; its public half is in the
   * published realm set). Read once, on the first registration: local runtime a data-dir file, AWS a KMS MAC.
   */
  keySeed: () => Promise<Uint8Array>;
  random?: RandomBytes;
}

export interface RecoveryStarted {
  evaluatedElement: Uint8Array;
  proof: Uint8Array;
  record: RealmRecord;
  challenge: Uint8Array;
  attemptsRemaining: number;
}

type LiveItem = RealmItem & { record: Uint8Array; version: Uint8Array };

const ctx = (account: string): SealContext => ({ purpose: 'realm-record', account });

function lockedError(): BkvError {
  return new BkvError('locked', 'realm is locked: no attempts left', { details: { attemptsRemaining: 0 } });
}

function expired(): BkvError {
  return new BkvError('login-expired', 'recovery is unknown, used or expired; start again');
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export class RealmService {
  private readonly random: RandomBytes;
  private keyPair: Promise<RealmKeyPair> | undefined;

  constructor(private readonly deps: RealmServiceDeps) {
    this.random = deps.random ?? defaultRandomBytes;
  }

  /** This realm's registration key pair (derived once per process; a failed derivation is retried next time). */
  registrationKey(): Promise<RealmKeyPair> {
    this.keyPair ??= this.deps.keySeed().then(realmKeyPair);
    this.keyPair.catch(() => {
      this.keyPair = undefined;
    });
    return this.keyPair;
  }

  get realmId(): Uint8Array {
    return this.deps.realmId;
  }

  private async live(account: string): Promise<LiveItem> {
    const item = await this.deps.store.get(account);
    if (!item || item.state === 'empty') throw new BkvError('not-found', 'no registration at this realm for this account');
    if (item.state === 'destroyed' || !item.record || !item.version) throw lockedError();
    return item as LiveItem;
  }

  private async spent(item: RealmItem, now: number): Promise<never> {
    await this.deps.store.destroyIfSpent(item.account, item.generation, now);
    throw lockedError();
  }

  /**
   * Opens the record the client boxed to this realm's key for this account and version, then replaces everything
   * with it (checked first: a box for another realm, account or version, or a bad record, changes nothing).
   * Evaluates nothing.
   */
  async register(account: string, boxed: { version: Uint8Array; enc: Uint8Array; box: Uint8Array }, allowedGuesses: number): Promise<{ generation: number; allowedGuesses: number }> {
    const { secretKey } = await this.registrationKey();
    const opened = await openRegistration(secretKey, this.deps.realmId, account, boxed.version, boxed.enc, boxed.box);
    if (!opened) throw new BkvError('bad-request', 'registration box does not open for this realm, account and version');
    const record = decodeBoxedRecord(opened);
    if (!same(record.version, boxed.version)) throw new BkvError('bad-request', 'registration box holds another version');
    checkRecord(this.deps.realmId, record);
    const limit = Math.min(allowedGuesses, this.deps.maxAttempts);
    const sealed = await this.deps.sealer.seal(encodeRecord(record), ctx(account));
    const generation = await this.deps.store.register(account, { version: record.version, record: sealed, maxAttempts: limit, now: this.deps.clock.now() });
    return { generation, allowedGuesses: limit };
  }

  /** Counts the attempt with one conditional write, and only then evaluates the share (with a DLEQ proof). */
  async recoveryStart(account: string, version: Uint8Array, blindedElement: Uint8Array): Promise<RecoveryStarted> {
    elementFromBytes(blindedElement, 'blindedElement'); // bad input is refused before anything is counted
    const now = this.deps.clock.now();
    const item = await this.live(account);
    if (item.attempts >= item.maxAttempts) await this.spent(item, now);
    if (!same(item.version, version)) throw new BkvError('conflict', 'the registration changed; read the realm status again');
    const challenge = this.random(CHALLENGE_BYTES);
    const attempts = await this.deps.store.startRecovery(account, item.generation, { challenge, expiresAt: now + RECOVERY_TTL_MS }, now);
    if (attempts === undefined) {
      const after = await this.live(account);
      if (after.generation !== item.generation) throw new BkvError('conflict', 'the registration changed; read the realm status again');
      return this.spent(after, now);
    }
    const record = decodeRecord(await this.deps.sealer.unseal(item.record, ctx(account)));
    const { evaluatedElement, proof } = evaluateRecord(record, blindedElement, this.random);
    return { evaluatedElement, proof, record, challenge, attemptsRemaining: item.maxAttempts - attempts };
  }

  /**
   * Consumes the pending challenge whatever the outcome. A valid unlock proof resets the count and answers the
   * realm's pieces of K boxed to the client's key; an invalid one leaves the count (it was counted at the start)
   * and destroys the record if the count is spent.
   */
  async recoveryFinish(account: string, version: Uint8Array, challenge: Uint8Array, boxKey: Uint8Array, unlockProof: Uint8Array): Promise<{ shareBox: Uint8Array }> {
    if (!x25519Shared(this.random(32), boxKey)) throw new BkvError('bad-request', 'boxKey is not a usable x25519 public key');
    const now = this.deps.clock.now();
    const item = await this.live(account);
    const pending = item.pending;
    if (!pending || !same(pending.challenge, challenge) || pending.expiresAt <= now || !same(item.version, version)) {
      if (item.attempts >= item.maxAttempts) await this.spent(item, now);
      throw expired();
    }
    const record = decodeRecord(await this.deps.sealer.unseal(item.record, ctx(account)));
    const ok = verifyUnlockProof(this.deps.realmId, account, record, challenge, boxKey, unlockProof);
    const destroy = !ok && item.attempts >= item.maxAttempts;
    const consumed = await this.deps.store.finishRecovery(account, {
      generation: item.generation, challenge, attempts: item.attempts, now, outcome: ok ? 'success' : 'failure', destroy,
    });
    if (!consumed) throw expired();
    if (!ok) {
      if (destroy) throw new BkvError('locked', 'unlock proof does not verify; no attempts left, the share was destroyed', { details: { attemptsRemaining: 0 } });
      throw new BkvError('wrong-password', 'unlock proof does not verify', { details: { attemptsRemaining: item.maxAttempts - item.attempts } });
    }
    const shareBox = sealShareBox(this.deps.realmId, record, boxKey, this.random);
    if (!shareBox) throw new BkvError('bad-request', 'boxKey is not a usable x25519 public key');
    return { shareBox };
  }

  async status(account: string): Promise<RealmStatus> {
    const realmId = encodeBase64url(this.deps.realmId);
    // The public key is for operators and clients to compare with the set; a key service outage must not stop recoveries.
    const publicKey = await this.registrationKey().then((k) => encodeBase64url(k.publicKey), () => undefined);
    const item = await this.deps.store.get(account);
    if (!item || item.state === 'empty') {
      return { realmId, ...(publicKey ? { publicKey } : {}), registered: false, generation: item?.generation ?? 0, attemptsRemaining: 0, allowedGuesses: this.deps.maxAttempts, locked: false };
    }
    const now = this.deps.clock.now();
    const inFlight = item.pending !== undefined && item.pending.expiresAt > now;
    const destroyed = item.state === 'destroyed';
    return {
      realmId,
      ...(publicKey ? { publicKey } : {}),
      registered: true,
      generation: item.generation,
      ...(item.version && !destroyed ? { version: encodeBase64url(item.version) } : {}),
      attemptsRemaining: destroyed ? 0 : Math.max(0, item.maxAttempts - item.attempts),
      allowedGuesses: item.maxAttempts,
      locked: destroyed || (item.attempts >= item.maxAttempts && !inFlight),
    };
  }

  async delete(account: string): Promise<void> {
    await this.deps.store.delete(account, this.deps.clock.now());
  }
}
