// A stateful, model-based test of the guess limit (docs/threat-model.md, invariants 2-5): fast-check drives random
// sequences of a token holder's moves against the real VaultService on dynalite (real condition expressions) and
// a model of the vault's states, and checks after every step that
//   - the password-testable answers since the last success (or registration) never exceed maxAttempts: every KE2
//     counts one, and so does every registration start that confirms the live password against a KE2 seen so far
//     (the registration oracle);
//   - a destroyed vault never answers a KE2 again;
//   - the real state (GET /v1/vault's answer, and the error kinds) matches the model.

import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoVaultStore } from '../../functions/adapters/dynamo-vault-store.js';
import { documentClient } from '../../functions/adapters/document-client.js';
import { LocalSealer } from '../../functions/adapters/local-sealer.js';
import { buildVaultService } from '../../functions/vault/deps.js';
import type { VaultService } from '../../functions/vault/service.js';
import { startDynamo, type LocalDynamo } from '../../local/dynamo.js';
import { encodeBase64url } from '../../protocol/base64url.js';
import { LOGIN_TTL_MS } from '../../protocol/constants.js';
import { BkvError, type ErrorCode } from '../../protocol/errors.js';
import { sealBackupKey } from '../../protocol/key-seal.js';
import { ManualClock } from '../helpers/clock.js';
import { loginFinishFor, loginStartFor, registrationFor } from '../helpers/opaque-client.js';
import { probeWithRegistrationStart } from './attacker.js';

const MAX = 3;
const SEQUENCES = 100;

type State = 'none' | 'empty' | 'live' | 'destroyed';

interface Model {
  state: State;
  generation: number;
  attempts: number;
  /** The pending login the model expects the server to hold. */
  pending?: { id: string; expiresAt: number };
  /** Password-testable answers the attacker holds for the live record since its last success or registration. */
  testable: number;
  now: number;
}

interface Real {
  account: string;
  vault: VaultService;
  clock: ManualClock;
  password: string;
  /** Every KE2 of the live record seen so far, for the oracle probes. */
  ke2s: string[];
  /** The last answered login start, for a finish. */
  last?: { loginId: string; clientLoginState: string; loginResponse: string; password: string };
}

let dynamo: LocalDynamo;
let store: DynamoVaultStore;
const sealer = new LocalSealer(new Uint8Array(randomBytes(32)));
let sequencesRun = 0;
let stepsRun = 0;
let maxTestableSeen = 0;

beforeAll(async () => {
  dynamo = await startDynamo(undefined, 'model-test');
  store = new DynamoVaultStore(documentClient(dynamo.client), 'model-test');
});
afterAll(async () => {
  await dynamo.close();
  process.stdout.write(`guess-limit model: ${sequencesRun} sequences, ${stepsRun} steps, most testable answers between successes: ${maxTestableSeen} (limit ${MAX})\n`);
});

async function code(p: Promise<unknown>): Promise<ErrorCode | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof BkvError) return e.code;
    throw e;
  }
}

/** The model's half of a start or finish that finds the count spent: destroyed unless a login is in flight. */
function spend(m: Model): void {
  if (!m.pending || m.pending.expiresAt <= m.now) {
    m.state = 'destroyed';
    m.pending = undefined;
  }
}

async function checkInvariants(m: Model, r: Real): Promise<void> {
  stepsRun++;
  maxTestableSeen = Math.max(maxTestableSeen, m.testable);
  expect(m.testable).toBeLessThanOrEqual(MAX);
  const s = await r.vault.status(r.account);
  const registered = m.state === 'live' || m.state === 'destroyed';
  const inFlight = m.pending !== undefined && m.pending.expiresAt > m.now;
  expect(s).toEqual({
    registered,
    generation: m.generation,
    attemptsRemaining: m.state === 'live' ? MAX - m.attempts : 0,
    maxAttempts: MAX,
    locked: m.state === 'destroyed' || (m.state === 'live' && m.attempts >= MAX && !inFlight),
  });
}

class LoginStart implements fc.AsyncCommand<Model, Real> {
  constructor(readonly right: boolean) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const password = this.right ? r.password : `guess ${randomUUID()}`;
    const { startLoginRequest, clientLoginState } = await loginStartFor(password);
    let answer: Awaited<ReturnType<VaultService['loginStart']>> | undefined;
    const outcome = await code(r.vault.loginStart(r.account, startLoginRequest).then((a) => { answer = a; }));
    if (m.state === 'none' || m.state === 'empty') expect(outcome).toBe('not-found');
    else if (m.state === 'destroyed') expect(outcome).toBe('locked');
    else if (m.attempts >= MAX) {
      expect(outcome).toBe('locked');
      spend(m);
    } else {
      expect(outcome).toBe('ok');
      m.attempts++;
      m.pending = { id: answer!.loginId, expiresAt: m.now + LOGIN_TTL_MS };
      m.testable++; // a KE2 tests the guess it was made with
      expect(answer!.attemptsRemaining).toBe(MAX - m.attempts);
      r.ke2s.push(answer!.loginResponse);
      r.last = { loginId: answer!.loginId, clientLoginState, loginResponse: answer!.loginResponse, password };
    }
    if (outcome !== 'ok') expect(answer).toBeUndefined(); // no KE2 for a destroyed, spent or missing vault
    await checkInvariants(m, r);
  }
  toString = () => `loginStart(${this.right ? 'right' : 'wrong'})`;
}

class ConcurrentStarts implements fc.AsyncCommand<Model, Real> {
  constructor(readonly n: number) {}
  check = (m: Readonly<Model>) => m.state === 'live';
  async run(m: Model, r: Real): Promise<void> {
    const starts = await Promise.all(Array.from({ length: this.n }, () => loginStartFor(`guess ${randomUUID()}`)));
    const outcomes = await Promise.allSettled(starts.map((s) => r.vault.loginStart(r.account, s.startLoginRequest)));
    const answered = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    for (const o of outcomes) if (o.status === 'rejected') expect((o.reason as BkvError).code).toBe('locked');
    expect(answered.length).toBe(Math.min(this.n, MAX - m.attempts));
    m.attempts += answered.length;
    m.testable += answered.length;
    r.ke2s.push(...answered.map((a) => a.loginResponse));
    const newest = answered.reduce<typeof answered[number] | undefined>((a, b) => (a && a.attemptsRemaining < b.attemptsRemaining ? a : b), undefined);
    if (newest) m.pending = { id: newest.loginId, expiresAt: m.now + LOGIN_TTL_MS };
    if (answered.length < this.n && !newest) spend(m);
    r.last = undefined;
    await checkInvariants(m, r);
  }
  toString = () => `concurrentStarts(${this.n})`;
}

class LoginFinish implements fc.AsyncCommand<Model, Real> {
  constructor(readonly honest: boolean) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const last = r.last;
    const loginId = last?.loginId ?? encodeBase64url(randomBytes(16));
    const finished = last && this.honest ? loginFinishFor(last.clientLoginState, last.loginResponse, last.password) : undefined;
    const ke3 = finished?.finishLoginRequest ?? encodeBase64url(randomBytes(64));
    const outcome = await code(r.vault.loginFinish(r.account, loginId, ke3));
    if (m.state === 'none' || m.state === 'empty') expect(outcome).toBe('not-found');
    else if (m.state === 'destroyed') expect(outcome).toBe('locked');
    else if (!m.pending || m.pending.id !== loginId || m.pending.expiresAt <= m.now) {
      if (m.attempts >= MAX) {
        expect(outcome).toBe('locked');
        spend(m);
      } else expect(outcome).toBe('login-expired');
    } else if (finished) {
      expect(outcome).toBe('ok');
      m.attempts = 0;
      m.testable = 0;
      m.pending = undefined;
    } else {
      m.pending = undefined;
      if (m.attempts >= MAX) {
        expect(outcome).toBe('locked');
        m.state = 'destroyed';
      } else expect(outcome).toBe('wrong-password');
    }
    r.last = undefined;
    await checkInvariants(m, r);
  }
  toString = () => `loginFinish(${this.honest ? 'honest' : 'garbage'})`;
}

class Register implements fc.AsyncCommand<Model, Real> {
  constructor(readonly finish: boolean) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    // The attacker's probe: a registration start evaluated on the live password, checked against every KE2 seen.
    if (m.state === 'live') {
      for (const ke2 of r.ke2s.slice(-3)) {
        if (await probeWithRegistrationStart(async (req) => (await r.vault.registrationStart(r.account, req)).registrationResponse, r.password, ke2)) {
          m.testable++;
        }
      }
    }
    if (this.finish) {
      const password = `password ${randomUUID()}`;
      const reg = await registrationFor(password, (req) => r.vault.registrationStart(r.account, req));
      const sealed = sealBackupKey(reg.exportKey, r.account, new Uint8Array(randomBytes(32)));
      const out = await r.vault.registrationFinish(r.account, reg.registrationId, reg.registrationRecord, sealed);
      m.generation++;
      expect(out.generation).toBe(m.generation);
      Object.assign(m, { state: 'live', attempts: 0, pending: undefined, testable: 0 });
      r.password = password;
      r.ke2s = [];
      r.last = undefined;
    } else if (m.state === 'none') {
      m.state = 'empty'; // an unfinished start creates the item, with nothing in it
    }
    await checkInvariants(m, r);
  }
  toString = () => `register(${this.finish ? 'finish' : 'start only'})`;
}

class Delete implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    await r.vault.delete(r.account);
    if (m.state !== 'none') Object.assign(m, { state: 'empty', attempts: 0, pending: undefined, testable: 0 });
    r.ke2s = [];
    r.last = undefined;
    await checkInvariants(m, r);
  }
  toString = () => 'delete';
}

class ClockJump implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    r.clock.advance(this.ms);
    m.now += this.ms;
    await checkInvariants(m, r);
  }
  toString = () => `clock(+${this.ms}ms)`;
}

const commands = [
  fc.boolean().map((right) => new LoginStart(right)),
  fc.integer({ min: 2, max: 6 }).map((n) => new ConcurrentStarts(n)),
  fc.boolean().map((honest) => new LoginFinish(honest)),
  fc.boolean().map((finish) => new Register(finish)),
  fc.constant(new Delete()),
  fc.constantFrom(1_000, LOGIN_TTL_MS, LOGIN_TTL_MS + 1).map((ms) => new ClockJump(ms)),
];

describe('guess limit, model-based', () => {
  it(`${SEQUENCES} random sequences of a token holder's moves keep the limit and match the model`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 40, size: 'max' }), async (cmds) => {
        sequencesRun++;
        const clock = new ManualClock(Date.UTC(2026, 0, 1));
        const vault = buildVaultService({ store, sealer, maxAttempts: MAX, createServerSetup: true, clock });
        const real: Real = { account: `model-${randomUUID()}`, vault, clock, password: '', ke2s: [] };
        const model: Model = { state: 'none', generation: 0, attempts: 0, testable: 0, now: clock.now() };
        await fc.asyncModelRun(() => ({ model, real }), cmds);
      }),
      { numRuns: SEQUENCES },
    );
  });
});
