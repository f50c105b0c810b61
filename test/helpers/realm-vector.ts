// Computes the committed realm-protocol vector (test/vectors/realm-v1.json; docs/protocol.md "Realms, a worked
// example"): a 2-of-3 registration and a recovery through realms 1 and 3, every random value drawn in order from
// test/helpers/drbg.ts. `npx tsx tools/realm-vector.ts` rewrites the file; test/protocol/realm/realm-vector.test.ts
// recomputes it and compares.

import {
  beginRecovery, openShareBox, prepareRegistration, recoverSecret, unlock, unlockRequest, type EvaluationAnswer,
} from '../../protocol/realm/client.js';
import { encodeRecord } from '../../protocol/realm/record.js';
import { evaluateRecord, sealShareBox, verifyUnlockProof } from '../../protocol/realm/realm-side.js';
import { openRegistration, realmKeyPair, registrationBoxInfo } from '../../protocol/realm/registration-box.js';
import { combineElements } from '../../protocol/realm/shamir.js';
import { finalizeCombined } from '../../protocol/realm/toprf.js';
import { CHEAP_STRETCHING } from './cheap-stretching.js';
import { drbg } from './drbg.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

export const VECTOR_INPUT = {
  description: 'bkv realm protocol v1, 2-of-3, cheap Argon2id (tests only); random bytes: SHA-512(seed ‖ u32be(i)) blocks, read in order',
  seed: 'bkv realm vector v1',
  password: 'correct horse battery staple',
  account: 'alice@example.com',
  backupKey: '42'.repeat(32),
  threshold: 2,
  realmIds: ['000102030405060708090a0b0c0d0e0f', '101112131415161718191a1b1c1d1e1f', '202122232425262728292a2b2c2d2e2f'],
  /** Each realm's registration key seed (RFC 9180 DeriveKeyPair input): fixed here, a data-dir file or a KMS MAC in use. */
  realmKeySeeds: ['a0'.repeat(32), 'a1'.repeat(32), 'a2'.repeat(32)],
  stretching: CHEAP_STRETCHING['argon2id-custom'],
  recoverFrom: [0, 2],
};

export async function computeRealmVector(): Promise<Record<string, unknown>> {
  const random = drbg(VECTOR_INPUT.seed);
  const realmKeys = await Promise.all(VECTOR_INPUT.realmKeySeeds.map((s) => realmKeyPair(unhex(s))));
  const set = { threshold: VECTOR_INPUT.threshold, realmIds: VECTOR_INPUT.realmIds.map(unhex), realmKeys: realmKeys.map((k) => k.publicKey) };
  const account = VECTOR_INPUT.account;
  const reg = await prepareRegistration({
    password: VECTOR_INPUT.password, backupKey: unhex(VECTOR_INPUT.backupKey), account, set, stretching: CHEAP_STRETCHING, random,
  });
  const registration = Object.fromEntries(Object.entries(reg.trace).map(([k, v]) => [k, Array.isArray(v) ? v.map(hex) : hex(v)]));
  const records = reg.records.map((r, i) => ({
    ...Object.fromEntries(Object.entries(r).map(([k, v]) => [k, hex(v)])),
    sealedLayout: hex(encodeRecord(r)),
    registrationBox: {
      info: hex(registrationBoxInfo(set.realmIds[i]!, account, reg.version)),
      ikmE: hex(reg.boxes[i]!.ikmE), enc: hex(reg.boxes[i]!.enc), box: hex(reg.boxes[i]!.box),
    },
  }));
  for (const [i, b] of reg.boxes.entries()) {
    const opened = await openRegistration(realmKeys[i]!.secretKey, set.realmIds[i]!, account, reg.version, b.enc, b.box);
    if (!opened || hex(opened) !== hex(encodeRecord(reg.records[i]!))) throw new Error('registration box');
  }

  const state = await beginRecovery({ password: VECTOR_INPUT.password, account, set, version: reg.version, stretching: CHEAP_STRETCHING, random });
  const answers: EvaluationAnswer[] = VECTOR_INPUT.recoverFrom.map((i) => {
    const { evaluatedElement, proof } = evaluateRecord(reg.records[i]!, state.blinded.blindedElement, random);
    return { index: i, evaluatedElement, proof, ...reg.records[i]! };
  });
  const combinedElement = combineElements(answers.map((a) => ({ x: a.index + 1, element: a.evaluatedElement })));
  const oprfOutput = finalizeCombined(state.accessKey, state.blinded, combinedElement);
  const outcome = unlock(state, answers);
  if (outcome.kind !== 'unlocked') throw new Error('vector recovery did not unlock');
  const steps = VECTOR_INPUT.recoverFrom.map((i) => {
    const challenge = random(32);
    const req = unlockRequest(state, outcome.unlockKey, i, challenge, random);
    if (!verifyUnlockProof(set.realmIds[i]!, account, reg.records[i]!, challenge, req.boxKey, req.unlockProof)) throw new Error('proof');
    const shareBox = sealShareBox(set.realmIds[i]!, reg.records[i]!, req.boxKey, random)!;
    const share = openShareBox(state, outcome.unlockKey, i, req.boxSecret, shareBox);
    if (!share) throw new Error('share box');
    return { realm: i, challenge: hex(challenge), boxSecret: hex(req.boxSecret), boxKey: hex(req.boxKey), unlockProof: hex(req.unlockProof), shareBox: hex(shareBox) };
  });
  const backupKey = recoverSecret(state, steps.map((s) => ({ index: s.realm, encryptionShare: reg.records[s.realm]!.encryptionShare, encryptedSecret: reg.records[s.realm]!.encryptedSecret })));
  return {
    input: VECTOR_INPUT,
    realmKeys: realmKeys.map((k) => ({ secretKey: hex(k.secretKey), publicKey: hex(k.publicKey) })),
    registration,
    records,
    recovery: {
      accessKey: hex(state.accessKey),
      blind: hex(state.blinded.blind),
      blindedElement: hex(state.blinded.blindedElement),
      answers: answers.map((a) => ({ realm: a.index, evaluatedElement: hex(a.evaluatedElement), proof: hex(a.proof) })),
      combinedElement: hex(combinedElement),
      oprfOutput: hex(oprfOutput),
      unlockKey: hex(outcome.unlockKey),
      unlockSteps: steps,
      backupKey: backupKey ? hex(backupKey) : null,
    },
  };
}
