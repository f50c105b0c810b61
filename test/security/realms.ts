// The realm attacker harness (docs/threat-model.md "Realms"): n in-process realms (RealmService over a
// MemoryRealmStore and a LocalSealer each, one shared manual clock), honest endpoints for the real user's client
// (with switches for an outage and a lying realm), and an attacker that owns the full state (table and sealer key)
// of c realms: it unseals their records, evaluates their shares itself, resets their counters at will, and schedules
// the honest realms adversarially (always the t−c with the most attempts left). It counts password-testable answers:
// guesses for which it obtained the full OPRF output and checked it against the commitment.

import { randomBytes } from 'node:crypto';
import { encodeBase64url, decodeBase64url } from '../../protocol/base64url.js';
import { BkvError } from '../../protocol/errors.js';
import { decodeRecord, type RealmRecord } from '../../protocol/realm/record.js';
import { beginRecovery, recoverSecret, type PinnedSet } from '../../protocol/realm/client.js';
import { MAX_REALMS } from '../../protocol/realm/constants.js';
import { realmKeyPair } from '../../protocol/realm/registration-box.js';
import { equalBytes, unlockKeys } from '../../protocol/realm/keys.js';
import { combineElements, combineScalars, scalarFromBytes } from '../../protocol/realm/shamir.js';
import { evaluateFull, evaluateShare, finalizeCombined } from '../../protocol/realm/toprf.js';
import { LocalSealer } from '../../functions/adapters/local-sealer.js';
import { MemoryRealmStore } from '../../functions/adapters/memory-realm-store.js';
import { RealmService } from '../../functions/realm/service.js';
import type { RealmEndpoint } from '../../client/realm-vault.js';
import { RealmVault } from '../../client/realm-vault.js';
import { CHEAP_STRETCHING } from '../helpers/cheap-stretching.js';
import { ManualClock } from '../helpers/clock.js';

const bytes = (s: string) => decodeBase64url(s)!;

/**
 * Realm registration keys, one per set position (RFC 9180 DeriveKeyPair is async, a harness is built
 * synchronously): fresh random seeds per test file; two setups in one file are separate worlds anyway.
 */
const REALM_KEYS = await Promise.all(Array.from({ length: MAX_REALMS }, async () => {
  const seed = new Uint8Array(randomBytes(32));
  return { seed, ...(await realmKeyPair(seed)) };
}));

export interface Realm {
  index: number;
  id: Uint8Array;
  /** Its registration public key (what the realm set publishes) and the seed its service derives the pair from. */
  publicKey: Uint8Array;
  seed: Uint8Array;
  store: MemoryRealmStore;
  sealer: LocalSealer;
  service: RealmService;
  /** Honest endpoint switches: down answers nothing; lying answers evaluations under a wrong key. */
  down: boolean;
  lying: boolean;
}

export class RealmSetup {
  readonly clock = new ManualClock();
  readonly realms: Realm[];
  readonly set: PinnedSet;

  constructor(readonly n: number, readonly t: number, readonly limit: number) {
    this.realms = Array.from({ length: n }, (_, index) => {
      const id = new Uint8Array(randomBytes(16));
      const store = new MemoryRealmStore();
      const sealer = new LocalSealer(new Uint8Array(randomBytes(32)));
      const { seed, publicKey } = REALM_KEYS[index]!;
      const service = new RealmService({ store, sealer, clock: this.clock, realmId: id, maxAttempts: limit, keySeed: async () => seed });
      return { index, id, publicKey, seed, store, sealer, service, down: false, lying: false };
    });
    this.set = { threshold: t, realmIds: this.realms.map((r) => r.id), realmKeys: this.realms.map((r) => r.publicKey) };
  }

  endpoint(realm: Realm, account: string): RealmEndpoint {
    const up = () => {
      if (realm.down) throw new BkvError('unavailable', 'realm is down');
    };
    return {
      status: async () => (up(), realm.service.status(account)),
      register: async (body) => {
        up();
        return realm.service.register(account, { version: bytes(body.version), enc: bytes(body.enc), box: bytes(body.box) }, body.allowedGuesses);
      },
      recoveryStart: async (body) => {
        up();
        const r = await realm.service.recoveryStart(account, bytes(body.version), bytes(body.blindedElement));
        // A lying realm answers under another key (with a proof for that key): the client must reject it.
        const evaluated = realm.lying ? evaluateShare(scalarFromBytes(r.record.oprfShare) + 1n, bytes(body.blindedElement)) : r;
        return {
          evaluatedElement: encodeBase64url(evaluated.evaluatedElement), proof: encodeBase64url(evaluated.proof),
          oprfPublicKey: encodeBase64url(r.record.oprfPublicKey), oprfSignature: encodeBase64url(r.record.oprfSignature),
          signingKey: encodeBase64url(r.record.signingKey), unlockKeyCommitment: encodeBase64url(r.record.unlockKeyCommitment),
          challenge: encodeBase64url(r.challenge), attemptsRemaining: r.attemptsRemaining,
        };
      },
      recoveryFinish: async (body) => {
        up();
        const r = await realm.service.recoveryFinish(account, bytes(body.version), bytes(body.challenge), bytes(body.boxKey), bytes(body.unlockProof));
        return { shareBox: encodeBase64url(r.shareBox) };
      },
      delete: async () => (up(), realm.service.delete(account)),
    };
  }

  /** What the client pinned for realm `r`: its id and registration public key. */
  pinned(r: Realm): { id: Uint8Array; publicKey: Uint8Array } {
    return { id: r.id, publicKey: r.publicKey };
  }

  client(account: string): RealmVault {
    return new RealmVault({
      account, threshold: this.t, stretching: CHEAP_STRETCHING,
      realms: this.realms.map((r) => ({ ...this.pinned(r), endpoint: this.endpoint(r, account) })),
    });
  }

  /** The full state of realm `i`'s account item as its operator has it: the unsealed record, or undefined. */
  async stolen(i: number, account: string): Promise<RealmRecord | undefined> {
    const realm = this.realms[i]!;
    const item = await realm.store.get(account);
    if (!item?.record) return undefined;
    return decodeRecord(await realm.sealer.unseal(item.record, { purpose: 'realm-record', account }));
  }
}

/**
 * The online attack of a holder of realms `owned` (c < t): one guess after another, each from the owned shares
 * plus t−c counted starts at the honest realms with the most attempts left. Returns the number of guesses it could
 * test, and whether one of them was the password.
 */
export async function onlineAttack(setup: RealmSetup, account: string, owned: number[], guesses: Iterable<string>, password: string) {
  const stolen = await Promise.all(owned.map((i) => setup.stolen(i, account)));
  const version = stolen[0]?.version ?? bytes((await setup.realms[setup.realms.findIndex((_, i) => !owned.includes(i))]!.service.status(account)).version!);
  let tested = 0;
  let found = false;
  for (const guess of guesses) {
    // The owned realms' counters are the attacker's to reset; they never limit it.
    owned.forEach((i) => setup.realms[i]!.store.setAttempts(account, 0));
    const state = await beginRecovery({ password: guess, account, set: setup.set, version, stretching: CHEAP_STRETCHING });
    const parts: { x: number; element: Uint8Array }[] = owned.map((i, j) => ({
      x: i + 1, element: evaluateShare(scalarFromBytes(stolen[j]!.oprfShare), state.blinded.blindedElement).evaluatedElement,
    }));
    const honest = await Promise.all(setup.realms.filter((r) => !owned.includes(r.index)).map(async (r) => ({ r, left: (await r.service.status(account)).attemptsRemaining })));
    honest.sort((a, b) => b.left - a.left);
    let commitment = stolen[0]?.unlockKeyCommitment;
    for (const { r } of honest.slice(0, setup.t - owned.length)) {
      try {
        const a = await r.service.recoveryStart(account, version, state.blinded.blindedElement);
        parts.push({ x: r.index + 1, element: a.evaluatedElement });
        commitment ??= a.record.unlockKeyCommitment;
        // Try to reset the honest counter without the password: a forged unlock proof must change nothing.
        await r.service.recoveryFinish(account, version, a.challenge, new Uint8Array(randomBytes(32)), new Uint8Array(randomBytes(64))).catch(() => undefined);
      } catch {
        // refused (locked or spent): this guess cannot be completed
      }
    }
    if (parts.length < setup.t) break;
    tested++;
    const output = finalizeCombined(state.accessKey, state.blinded, combineElements(parts));
    if (equalBytes(unlockKeys(output).unlockKeyCommitment, commitment!)) found = true;
    if (found && guess === password) break;
  }
  return { tested, found };
}

/** The offline attack of a holder of t or more realms: rebuild the OPRF key, test a dictionary, then open K. */
export async function offlineAttack(setup: RealmSetup, account: string, owned: number[], dictionary: string[]) {
  const stolen = (await Promise.all(owned.map((i) => setup.stolen(i, account)))).map((r, j) => ({ r: r!, x: owned[j]! + 1 }));
  const key = combineScalars(stolen.slice(0, setup.t).map((s) => ({ x: s.x, value: scalarFromBytes(s.r.oprfShare) })));
  for (const guess of dictionary) {
    const state = await beginRecovery({ password: guess, account, set: setup.set, version: stolen[0]!.r.version, stretching: CHEAP_STRETCHING });
    const { unlockKeyCommitment } = unlockKeys(evaluateFull(key, state.accessKey));
    if (!equalBytes(unlockKeyCommitment, stolen[0]!.r.unlockKeyCommitment)) continue;
    const backupKey = recoverSecret(state, stolen.map((s) => ({ index: s.x - 1, encryptionShare: s.r.encryptionShare, encryptedSecret: s.r.encryptedSecret })));
    return { password: guess, backupKey };
  }
  return undefined;
}
