// The realm protocol's pure halves end to end (docs/protocol.md "Realms"): registration dealt to n realms, recovery
// from every t-subset, a wrong password seen as wrong, and a lying realm seen as a fault, never as a wrong password.

import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import {
  beginRecovery, openShareBox, prepareRegistration, recoverSecret, unlock, unlockRequest, type EvaluationAnswer, type PinnedSet,
  type PreparedRegistration, type RecoveryState,
} from '../../../protocol/realm/client.js';
import { checkRecord, decodeRecord, encodeRecord, type RealmRecord } from '../../../protocol/realm/record.js';
import { evaluateRecord, sealShareBox, verifyUnlockProof } from '../../../protocol/realm/realm-side.js';
import { openRegistration, realmKeyPair } from '../../../protocol/realm/registration-box.js';
import { CHEAP_STRETCHING } from '../../helpers/cheap-stretching.js';

const account = 'alice@example';
const K = new Uint8Array(randomBytes(32));

const KEYS = await Promise.all(Array.from({ length: 5 }, () => realmKeyPair(new Uint8Array(randomBytes(32)))));

function setOf(n: number, t: number): PinnedSet {
  return { threshold: t, realmIds: Array.from({ length: n }, () => new Uint8Array(randomBytes(16))), realmKeys: KEYS.slice(0, n).map((k) => k.publicKey) };
}

function answer(record: RealmRecord, index: number, state: RecoveryState): EvaluationAnswer {
  const { evaluatedElement, proof } = evaluateRecord(record, state.blinded.blindedElement);
  return { index, evaluatedElement, proof, ...record };
}

function subsets(n: number, t: number): number[][] {
  if (t === 0) return [[]];
  if (n < t) return [];
  return [...subsets(n - 1, t - 1).map((s) => [...s, n - 1]), ...subsets(n - 1, t)];
}

async function recoverWith(reg: PreparedRegistration, set: PinnedSet, password: string, realms: number[]) {
  const state = await beginRecovery({ password, account, set, version: reg.version, stretching: CHEAP_STRETCHING });
  const outcome = unlock(state, realms.map((i) => answer(reg.records[i]!, i, state)));
  if (outcome.kind !== 'unlocked') return outcome.kind;
  const shares = realms.map((i) => {
    const challenge = new Uint8Array(randomBytes(32));
    const req = unlockRequest(state, outcome.unlockKey, i, challenge);
    expect(verifyUnlockProof(set.realmIds[i]!, account, reg.records[i]!, challenge, req.boxKey, req.unlockProof)).toBe(true);
    const box = sealShareBox(set.realmIds[i]!, reg.records[i]!, req.boxKey)!;
    return openShareBox(state, outcome.unlockKey, i, req.boxSecret, box)!;
  });
  return recoverSecret(state, shares);
}

describe('realm protocol round trip', () => {
  it.for([[1, 1], [2, 2], [3, 2], [3, 3], [5, 3]] as const)('%i realms, threshold %i: every t-subset recovers K', async ([n, t]) => {
    const set = setOf(n, t);
    const reg = await prepareRegistration({ password: 'pw', backupKey: K, account, set, stretching: CHEAP_STRETCHING });
    reg.records.forEach((r, i) => checkRecord(set.realmIds[i]!, decodeRecord(encodeRecord(r))));
    for (const [i, b] of reg.boxes.entries()) {
      const opened = await openRegistration(KEYS[i]!.secretKey, set.realmIds[i]!, account, reg.version, b.enc, b.box);
      expect(Buffer.from(opened!).equals(Buffer.from(encodeRecord(reg.records[i]!)))).toBe(true);
      // bound to its realm and account: the same box opens nowhere else
      if (n > 1) expect(await openRegistration(KEYS[(i + 1) % n]!.secretKey, set.realmIds[(i + 1) % n]!, account, reg.version, b.enc, b.box)).toBeUndefined();
      expect(await openRegistration(KEYS[i]!.secretKey, set.realmIds[i]!, `${account}x`, reg.version, b.enc, b.box)).toBeUndefined();
    }
    for (const s of subsets(n, t)) {
      expect(Buffer.from((await recoverWith(reg, set, 'pw', s)) as Uint8Array).equals(K)).toBe(true);
    }
    expect(await recoverWith(reg, set, 'wrong', subsets(n, t)[0]!)).toBe('wrong-password');
  });

  it('a realm that lies (another share, a bad proof or a foreign record) is excluded, not taken for a wrong password', async () => {
    const set = setOf(3, 2);
    const reg = await prepareRegistration({ password: 'pw', backupKey: K, account, set, stretching: CHEAP_STRETCHING });
    const other = await prepareRegistration({ password: 'pw', backupKey: K, account, set, stretching: CHEAP_STRETCHING });
    const state = await beginRecovery({ password: 'pw', account, set, version: reg.version, stretching: CHEAP_STRETCHING });
    const honest = answer(reg.records[0]!, 0, state);
    const liar = answer(reg.records[1]!, 1, state);
    liar.evaluatedElement = answer(other.records[1]!, 1, state).evaluatedElement; // valid element, wrong key
    expect(unlock(state, [honest, liar])).toEqual({ kind: 'inconsistent', valid: [0] });
    const forged = answer(other.records[1]!, 1, state); // a whole answer from another registration (another signing key)
    expect(unlock(state, [honest, forged]).kind).toBe('inconsistent');
    const third = answer(reg.records[2]!, 2, state);
    expect(unlock(state, [honest, liar, third]).kind).toBe('unlocked');
  });

  it('registration refuses a share whose public key or signature does not match', async () => {
    const set = setOf(2, 2);
    const reg = await prepareRegistration({ password: 'pw', backupKey: K, account, set, stretching: CHEAP_STRETCHING });
    expect(() => checkRecord(set.realmIds[1]!, reg.records[0]!)).toThrow(/oprfSignature/);
    expect(() => checkRecord(set.realmIds[0]!, { ...reg.records[0]!, oprfShare: reg.records[1]!.oprfShare })).toThrow(/public key/);
  });
});
