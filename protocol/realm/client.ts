// The client's half of the realm protocol (docs/protocol.md "Realms"), pure: what registration deals to the realms,
// and each step of a recovery, following the Juicebox protocol (whitepaper rev 7, "Registration" and "Recovery")
// with the departures docs/protocol.md lists. Network, retries and the choice of realms live in
// client/realm-vault.ts; this file only computes. Functions that draw randomness take an injected RandomBytes, so
// test/vectors/realm-v1.json can fix every value.

import { gcmOpen, gcmSeal } from '../aead.js';
import { defaultRandomBytes, type RandomBytes } from '../random.js';
import { CHALLENGE_BYTES, ED25519_SIGNATURE_BYTES, SHARE_PAYLOAD_BYTES, SCALAR_BYTES, COMMITMENT_BYTES, VERSION_BYTES, X25519_PUBLIC_BYTES } from './constants.js';
import { concat } from './encoding.js';
import {
  ed25519PublicKey, ed25519Sign, ed25519Verify, encryptionKey, equalBytes, oprfPublicKeyMessage, realmSetDigest, secretAad,
  secretCommitment, shareBoxKey, unlockKeys, unlockProofMessage, unlockSigningSeed, x25519Public, x25519Shared,
} from './keys.js';
import { encodeRecord, type RealmRecord } from './record.js';
import { sealRegistration, type RegistrationBox } from './registration-box.js';
import { combineElements, combineScalars, deal, publicKeyOf, randomScalar, scalarFromBytes, scalarToBytes } from './shamir.js';
import { stretchPassword, stretchSalt, type KeyStretching } from './stretch.js';
import { blind as blindInput, evaluateFull, finalizeCombined, verifyEvaluation, type Blinded } from './toprf.js';

/**
 * The realm set as the client pinned it: ids in set order (a realm's share index is its position + 1) and each
 * realm's long-term X25519 public key, which registration boxes that realm's record to.
 */
export interface PinnedSet {
  threshold: number;
  realmIds: readonly Uint8Array[];
  realmKeys: readonly Uint8Array[];
}

export interface RegistrationInput {
  password: string;
  backupKey: Uint8Array;
  account: string;
  set: PinnedSet;
  stretching?: KeyStretching;
  random?: RandomBytes;
}

/** Every value registration derives, in order (the committed vector lists them all). */
export interface RegistrationTrace {
  version: Uint8Array;
  realmSetDigest: Uint8Array;
  salt: Uint8Array;
  accessKey: Uint8Array;
  encryptionSeed: Uint8Array;
  oprfKey: Uint8Array;
  oprfShares: Uint8Array[];
  oprfOutput: Uint8Array;
  unlockKey: Uint8Array;
  unlockKeyCommitment: Uint8Array;
  signingSeed: Uint8Array;
  encryptionScalar: Uint8Array;
  encryptionShares: Uint8Array[];
  encryptionKey: Uint8Array;
  encryptedSecret: Uint8Array;
}

export interface PreparedRegistration {
  version: Uint8Array;
  /** One record per realm, in set order. */
  records: RealmRecord[];
  /** Each record sealed to its realm's public key (what travels: protocol/realm/registration-box.ts), in set order. */
  boxes: RegistrationBox[];
  trace: RegistrationTrace;
}

function checkSet(set: PinnedSet): void {
  const n = set.realmIds.length;
  if (!Number.isInteger(set.threshold) || set.threshold < 1 || set.threshold > n) throw new RangeError('need 1 <= threshold <= realms');
  if (set.realmKeys.length !== n) throw new RangeError('need one public key per realm');
}

export async function prepareRegistration(input: RegistrationInput): Promise<PreparedRegistration> {
  const random = input.random ?? defaultRandomBytes;
  const { set, account } = input;
  checkSet(set);
  if (input.backupKey.length !== 32) throw new RangeError('backup key must be 32 bytes');
  const n = set.realmIds.length;
  const t = set.threshold;

  const version = random(VERSION_BYTES);
  const digest = realmSetDigest(t, set.realmIds);
  const salt = stretchSalt(account, digest, version);
  const { accessKey, encryptionSeed } = await stretchPassword(input.password, salt, input.stretching);

  const oprfKey = randomScalar(random);
  const oprfShares = deal(oprfKey, n, t, random);
  // The output does not depend on the blind, so the evaluation's own randomness is not part of the vector.
  const oprfOutput = evaluateFull(oprfKey, accessKey);
  const { unlockKey, unlockKeyCommitment } = unlockKeys(oprfOutput);

  const signingSeed = random(32);
  const signingKey = ed25519PublicKey(signingSeed);

  const encryptionScalar = randomScalar(random);
  const encryptionShares = deal(encryptionScalar, n, t, random);
  const key = encryptionKey(encryptionSeed, scalarToBytes(encryptionScalar));
  const encryptedSecret = gcmSeal(key, input.backupKey, secretAad(account, version), random);

  const records = set.realmIds.map((realmId, i): RealmRecord => {
    const oprfPublicKey = publicKeyOf(oprfShares[i]!);
    const encryptionShare = scalarToBytes(encryptionShares[i]!);
    return {
      version,
      oprfShare: scalarToBytes(oprfShares[i]!),
      oprfPublicKey,
      oprfSignature: ed25519Sign(signingSeed, oprfPublicKeyMessage(realmId, version, oprfPublicKey)),
      signingKey,
      unlockKeyCommitment,
      unlockPublicKey: ed25519PublicKey(unlockSigningSeed(unlockKey, realmId)),
      encryptionShare,
      encryptedSecret,
      secretCommitment: secretCommitment(unlockKey, realmId, encryptionShare, encryptedSecret),
    };
  });
  // Drawn last, so every value above is what it was before records were boxed.
  const boxes: RegistrationBox[] = [];
  for (const [i, r] of records.entries()) boxes.push(await sealRegistration(set.realmKeys[i]!, set.realmIds[i]!, account, version, encodeRecord(r), random));
  return {
    version,
    records,
    boxes,
    trace: {
      version, realmSetDigest: digest, salt, accessKey, encryptionSeed,
      oprfKey: scalarToBytes(oprfKey), oprfShares: oprfShares.map(scalarToBytes), oprfOutput, unlockKey, unlockKeyCommitment,
      signingSeed, encryptionScalar: scalarToBytes(encryptionScalar), encryptionShares: encryptionShares.map(scalarToBytes),
      encryptionKey: key, encryptedSecret,
    },
  };
}

export interface RecoveryState {
  account: string;
  set: PinnedSet;
  version: Uint8Array;
  accessKey: Uint8Array;
  encryptionSeed: Uint8Array;
  blinded: Blinded;
}

/** Stretch and blind: the blinded element goes to every realm asked (one element for all, as in Juicebox). */
export async function beginRecovery(input: {
  password: string; account: string; set: PinnedSet; version: Uint8Array; stretching?: KeyStretching; random?: RandomBytes;
}): Promise<RecoveryState> {
  checkSet(input.set);
  if (input.version.length !== VERSION_BYTES) throw new RangeError('version must be 16 bytes');
  const salt = stretchSalt(input.account, realmSetDigest(input.set.threshold, input.set.realmIds), input.version);
  const { accessKey, encryptionSeed } = await stretchPassword(input.password, salt, input.stretching);
  return {
    account: input.account, set: input.set, version: input.version, accessKey, encryptionSeed,
    blinded: blindInput(accessKey, input.random),
  };
}

/** One realm's answer to a counted recovery start. `index` is the realm's 0-based position in the set. */
export interface EvaluationAnswer {
  index: number;
  evaluatedElement: Uint8Array;
  proof: Uint8Array;
  oprfPublicKey: Uint8Array;
  oprfSignature: Uint8Array;
  signingKey: Uint8Array;
  unlockKeyCommitment: Uint8Array;
}

/** The realm's share public key is signed by the registration's key for this realm and version, and the DLEQ proof holds. */
export function answerIsValid(state: RecoveryState, a: EvaluationAnswer): boolean {
  const realmId = state.set.realmIds[a.index];
  if (!realmId) return false;
  if (!ed25519Verify(a.signingKey, oprfPublicKeyMessage(realmId, state.version, a.oprfPublicKey), a.oprfSignature)) return false;
  return verifyEvaluation(state.accessKey, state.blinded, a.evaluatedElement, a.oprfPublicKey, a.proof);
}

export type UnlockOutcome =
  | { kind: 'unlocked'; unlockKey: Uint8Array; used: number[] }
  /** t valid, consistent answers whose combination does not match the commitment: the password is wrong. */
  | { kind: 'wrong-password' }
  /** Fewer than t valid answers that agree on the registration: a realm fault, not a wrong password. */
  | { kind: 'inconsistent'; valid: number[] };

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * Juicebox's RecoverUnlockKey: keep the answers whose proofs hold, find t that agree on the signing key and the
 * commitment, combine their evaluations by Lagrange coefficients, finalize, and compare the commitment.
 */
export function unlock(state: RecoveryState, answers: readonly EvaluationAnswer[]): UnlockOutcome {
  const valid = answers.filter((a) => answerIsValid(state, a));
  const groups = new Map<string, EvaluationAnswer[]>();
  for (const a of valid) {
    const key = hex(a.signingKey) + hex(a.unlockKeyCommitment);
    if (!groups.get(key)?.some((b) => b.index === a.index)) groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  const group = [...groups.values()].filter((g) => g.length >= state.set.threshold).sort((a, b) => b.length - a.length)[0];
  if (!group) return { kind: 'inconsistent', valid: valid.map((a) => a.index) };
  const chosen = [...group].sort((a, b) => a.index - b.index).slice(0, state.set.threshold);
  const combined = combineElements(chosen.map((a) => ({ x: a.index + 1, element: a.evaluatedElement })));
  const { unlockKey, unlockKeyCommitment } = unlockKeys(finalizeCombined(state.accessKey, state.blinded, combined));
  if (!equalBytes(unlockKeyCommitment, chosen[0]!.unlockKeyCommitment)) return { kind: 'wrong-password' };
  return { kind: 'unlocked', unlockKey, used: group.map((a) => a.index) };
}

export interface UnlockRequest {
  /** The client's X25519 public key the realm boxes its answer to. */
  boxKey: Uint8Array;
  /** Its secret half, kept by the client. */
  boxSecret: Uint8Array;
  unlockProof: Uint8Array;
}

/** The proof for realm `index` over its fresh challenge (bkv's departure from Juicebox's static unlock tag). */
export function unlockRequest(state: RecoveryState, unlockKey: Uint8Array, index: number, challenge: Uint8Array, random: RandomBytes = defaultRandomBytes): UnlockRequest {
  const realmId = state.set.realmIds[index];
  if (!realmId) throw new RangeError('no such realm');
  if (challenge.length !== CHALLENGE_BYTES) throw new RangeError('challenge must be 32 bytes');
  const boxSecret = random(32);
  const boxKey = x25519Public(boxSecret);
  const message = unlockProofMessage(realmId, state.account, state.version, challenge, boxKey);
  const unlockProof = ed25519Sign(unlockSigningSeed(unlockKey, realmId), message);
  if (unlockProof.length !== ED25519_SIGNATURE_BYTES) throw new Error('unexpected signature size');
  return { boxKey, boxSecret, unlockProof };
}

export interface RealmShare {
  index: number;
  encryptionShare: Uint8Array;
  encryptedSecret: Uint8Array;
}

/** Opens realm `index`'s share box and checks its secret commitment; undefined when either fails (a lying realm). */
export function openShareBox(state: RecoveryState, unlockKey: Uint8Array, index: number, boxSecret: Uint8Array, box: Uint8Array): RealmShare | undefined {
  const realmId = state.set.realmIds[index];
  if (!realmId || box.length < X25519_PUBLIC_BYTES) return undefined;
  const ephemeralPublic = box.subarray(0, X25519_PUBLIC_BYTES);
  const shared = x25519Shared(boxSecret, ephemeralPublic);
  if (!shared) return undefined;
  const key = shareBoxKey(shared, ephemeralPublic, x25519Public(boxSecret), realmId);
  const payload = gcmOpen(key, box.subarray(X25519_PUBLIC_BYTES), concat(realmId, state.version));
  if (!payload || payload.length !== SHARE_PAYLOAD_BYTES) return undefined;
  const encryptionShare = payload.slice(0, SCALAR_BYTES);
  const commitment = payload.slice(SCALAR_BYTES, SCALAR_BYTES + COMMITMENT_BYTES);
  const encryptedSecret = payload.slice(SCALAR_BYTES + COMMITMENT_BYTES);
  if (!equalBytes(commitment, secretCommitment(unlockKey, realmId, encryptionShare, encryptedSecret))) return undefined;
  return { index, encryptionShare, encryptedSecret };
}

/** K from t checked shares: the encryption scalar by Lagrange, the key from it and the password's seed. */
export function recoverSecret(state: RecoveryState, shares: readonly RealmShare[]): Uint8Array | undefined {
  const t = state.set.threshold;
  if (shares.length < t) return undefined;
  const chosen = [...shares].sort((a, b) => a.index - b.index).slice(0, t);
  const first = chosen[0]!.encryptedSecret;
  if (!chosen.every((s) => equalBytes(s.encryptedSecret, first))) return undefined;
  let scalar: bigint;
  try {
    scalar = combineScalars(chosen.map((s) => ({ x: s.index + 1, value: scalarFromBytes(s.encryptionShare) })));
  } catch {
    return undefined;
  }
  const key = encryptionKey(state.encryptionSeed, scalarToBytes(scalar));
  return gcmOpen(key, first, secretAad(state.account, state.version));
}
