// RealmVault: K behind a password split over a t-of-n realm set (docs/protocol.md "Realms"). Registers at every
// realm in parallel; recovers from any t, asking the t realms with the most attempts left first and the others
// only when one fails or lies (a lying or replayed answer fails its DLEQ proof or signature and costs the user no
// extra guess: it is never taken for a wrong password). The network is behind RealmEndpoint, so tests drive the
// same logic in process (test/security/realms-*.test.ts) and the SDK over HTTPS (realmEndpoint below).

import type * as z from 'zod';
import { decodeBase64url, encodeBase64url } from '../protocol/base64url.js';
import { BkvError, isBkvError } from '../protocol/errors.js';
import type { RandomBytes } from '../protocol/random.js';
import {
  beginRecovery, openShareBox, prepareRegistration, recoverSecret, unlock, unlockRequest, type EvaluationAnswer, type PinnedSet,
  type RealmShare,
} from '../protocol/realm/client.js';
import { realmGuessLimit } from '../protocol/realm/constants.js';
import {
  RealmRegisterRequest, RealmRegisterResponse, RecoveryStartResponse, type RealmStatus,
} from '../protocol/realm/schemas.js';
import type { KeyStretching } from '../protocol/realm/stretch.js';
import { ClientError } from './errors.js';
import { ApiClient, type ApiOptions } from './http.js';

type StartAnswer = z.infer<typeof RecoveryStartResponse>;

/** One realm's API, as the client calls it. */
export interface RealmEndpoint {
  status(): Promise<RealmStatus>;
  register(body: z.infer<typeof RealmRegisterRequest>): Promise<z.infer<typeof RealmRegisterResponse>>;
  recoveryStart(body: { version: string; blindedElement: string }): Promise<StartAnswer>;
  recoveryFinish(body: { version: string; challenge: string; boxKey: string; unlockProof: string }): Promise<{ shareBox: string }>;
  delete(): Promise<void>;
}

/** The realm API over HTTPS at `server` with the account's bearer token (the realm trusts the same provider). */
export function realmEndpoint(options: ApiOptions): RealmEndpoint {
  const api = new ApiClient(options);
  return {
    status: () => api.call('realm.status'),
    register: (body) => api.call('realm.register', { body }),
    recoveryStart: (body) => api.call('realm.recoveryStart', { body }),
    recoveryFinish: (body) => api.call('realm.recoveryFinish', { body }),
    delete: () => api.call('realm.delete'),
  };
}

export interface RealmVaultOptions {
  account: string;
  threshold: number;
  /** In set order: each realm's id, its pinned registration public key (X25519) and its API. */
  realms: readonly { id: Uint8Array; publicKey: Uint8Array; endpoint: RealmEndpoint }[];
  /** Tests and benchmarks only: a cheaper Argon2id (protocol/constants.ts fixes t=3, 64 MiB, p=4). */
  stretching?: KeyStretching;
  random?: RandomBytes;
}

export interface RealmRegistered {
  /** L per realm, as each realm recorded it. */
  allowedGuesses: number[];
  generations: number[];
}

/** What one realm said about the account (or why it did not answer). */
export type RealmReport = { index: number; status: RealmStatus } | { index: number; error: Error };

/**
 * How many more recoveries a client that always asks the t realms with the most attempts left can still start:
 * the greedy count of disjoint-per-guess t-subsets (docs/threat-model.md, the realm bound).
 */
export function guessesLeft(remaining: readonly number[], t: number): number {
  const left = [...remaining];
  let guesses = 0;
  for (;;) {
    left.sort((a, b) => b - a);
    if (left.length < t || left[t - 1]! <= 0) return guesses;
    for (let i = 0; i < t; i++) left[i]! -= 1;
    guesses++;
  }
}

const b64 = encodeBase64url;
function bytes(s: string): Uint8Array {
  const b = decodeBase64url(s);
  if (!b) throw new ClientError('bad-answer', 'realm answer does not match the protocol', { from: 'server' });
  return b;
}

export class RealmVault {
  private readonly set: PinnedSet;

  constructor(private readonly options: RealmVaultOptions) {
    const n = options.realms.length;
    if (n < 1 || options.threshold < 1 || options.threshold > n) throw new ClientError('usage', 'realm set needs 1 <= threshold <= realms');
    this.set = { threshold: options.threshold, realmIds: options.realms.map((r) => r.id), realmKeys: options.realms.map((r) => r.publicKey) };
  }

  get threshold(): number {
    return this.set.threshold;
  }

  get size(): number {
    return this.set.realmIds.length;
  }

  /** Registers K at every realm; all n must accept, so the bound is the one docs/threat-model.md states for n. */
  async register(backupKey: Uint8Array, password: string): Promise<RealmRegistered> {
    if (password.length === 0) throw new ClientError('usage', 'password is empty');
    // A realm that now holds another key than the pinned one could open nothing: refuse before any realm replaces
    // its registration (an uncounted status read; a realm that does not say is checked by its answer to the box).
    const reports = await this.status();
    const moved = reports.find((r) => 'status' in r && r.status.publicKey !== undefined && r.status.publicKey !== b64(this.set.realmKeys[r.index]!));
    if (moved) {
      throw new ClientError('bad-answer', `realm ${moved.index + 1} of ${this.size} answers with another registration key than the realm set this device pinned; `
        + 'its operator must publish the key it uses (nothing was registered)', { from: 'server' });
    }
    const prepared = await prepareRegistration({
      password, backupKey, account: this.options.account, set: this.set,
      ...(this.options.stretching ? { stretching: this.options.stretching } : {}), ...(this.options.random ? { random: this.options.random } : {}),
    });
    const allowed = realmGuessLimit(this.size, this.threshold);
    // Each realm gets only its own record, sealed to its pinned key: the bodies carry no share in clear.
    const results = await Promise.allSettled(prepared.boxes.map((b, i) => this.options.realms[i]!.endpoint.register({
      version: b64(prepared.version), enc: b64(b.enc), box: b64(b.box), allowedGuesses: allowed,
    })));
    const failed = results.findIndex((r) => r.status === 'rejected');
    if (failed >= 0) {
      const reason = (results[failed] as PromiseRejectedResult).reason as unknown;
      throw new BkvError('unavailable', `realm ${failed + 1} of ${this.size} did not accept the registration; run it again`, { cause: reason });
    }
    const ok = results.map((r) => (r as PromiseFulfilledResult<z.infer<typeof RealmRegisterResponse>>).value);
    return { allowedGuesses: ok.map((r) => r.allowedGuesses), generations: ok.map((r) => r.generation) };
  }

  async status(): Promise<RealmReport[]> {
    const results = await Promise.allSettled(this.options.realms.map((r) => r.endpoint.status()));
    return results.map((r, index) => (r.status === 'fulfilled' ? { index, status: r.value } : { index, error: r.reason as Error }));
  }

  /**
   * Recovers K. A wrong password throws BkvError('wrong-password') with `attemptsRemaining` (the recoveries this
   * client can still start); no realm left with attempts: 'locked'; fewer than t realms answering or agreeing: 'unavailable'.
   */
  async recover(password: string): Promise<Uint8Array> {
    const reports = await this.status();
    const live = reports.flatMap((r) => ('status' in r && r.status.registered && !r.status.locked && r.status.version ? [{ index: r.index, status: r.status }] : []));
    const byVersion = new Map<string, typeof live>();
    for (const r of live) byVersion.set(r.status.version!, [...(byVersion.get(r.status.version!) ?? []), r]);
    const [version, candidates] = [...byVersion.entries()].sort((a, b) => b[1].length - a[1].length)[0] ?? [undefined, []];
    if (!version || candidates.length < this.threshold) {
      const registered = reports.some((r) => 'status' in r && r.status.registered);
      const locked = reports.filter((r) => 'status' in r && r.status.locked).length;
      if (registered && locked > this.size - this.threshold) throw new BkvError('locked', 'too few realms have attempts left: the key cannot be recovered with a password any more', { details: { attemptsRemaining: 0 } });
      if (!registered && reports.every((r) => 'status' in r)) throw new BkvError('not-found', 'no vault for this account at the realms');
      throw new BkvError('unavailable', `fewer than ${this.threshold} realms answer for this vault; try again later`);
    }
    const state = await beginRecovery({
      password, account: this.options.account, set: this.set, version: bytes(version),
      ...(this.options.stretching ? { stretching: this.options.stretching } : {}), ...(this.options.random ? { random: this.options.random } : {}),
    });
    const queue = [...candidates].sort((a, b) => b.status.attemptsRemaining - a.status.attemptsRemaining).map((c) => c.index);
    const answers: (EvaluationAnswer & { challenge: Uint8Array; remaining: number })[] = [];
    const remaining = new Map(candidates.map((c) => [c.index, c.status.attemptsRemaining]));
    let wrongBut: number | undefined;
    for (;;) {
      const need = this.threshold - answers.length;
      const batch = queue.splice(0, Math.max(need, 0));
      if (batch.length === 0) break;
      const started = await Promise.allSettled(batch.map((i) => this.options.realms[i]!.endpoint.recoveryStart({ version, blindedElement: b64(state.blinded.blindedElement) })));
      started.forEach((r, j) => {
        const index = batch[j]!;
        if (r.status === 'rejected') {
          remaining.set(index, 0);
          return;
        }
        const a = r.value;
        remaining.set(index, a.attemptsRemaining);
        const answer = {
          index, evaluatedElement: bytes(a.evaluatedElement), proof: bytes(a.proof), oprfPublicKey: bytes(a.oprfPublicKey),
          oprfSignature: bytes(a.oprfSignature), signingKey: bytes(a.signingKey), unlockKeyCommitment: bytes(a.unlockKeyCommitment),
          challenge: bytes(a.challenge), remaining: a.attemptsRemaining,
        };
        const outcome = unlock(state, [answer]);
        // A single answer is checked alone here (t = 1 unlocks at once; otherwise 'inconsistent' unless invalid).
        if (outcome.kind !== 'inconsistent' || outcome.valid.length === 1) answers.push(answer);
      });
      if (answers.length < this.threshold) continue;
      const outcome = unlock(state, answers);
      if (outcome.kind === 'wrong-password') {
        wrongBut = guessesLeft([...remaining.values()], this.threshold);
        break;
      }
      if (outcome.kind === 'inconsistent') {
        const valid = new Set(outcome.valid);
        answers.splice(0, answers.length, ...answers.filter((a) => valid.has(a.index)));
        continue;
      }
      return this.finish(state, outcome.unlockKey, answers.filter((a) => outcome.used.includes(a.index)));
    }
    if (wrongBut !== undefined) {
      if (wrongBut <= 0) throw new BkvError('locked', 'wrong password; no attempts left at enough realms', { details: { attemptsRemaining: 0 } });
      throw new BkvError('wrong-password', 'wrong password', { details: { attemptsRemaining: wrongBut } });
    }
    throw new BkvError('unavailable', `fewer than ${this.threshold} realms gave a valid answer; try again later`);
  }

  private async finish(state: Awaited<ReturnType<typeof beginRecovery>>, unlockKey: Uint8Array, used: readonly (EvaluationAnswer & { challenge: Uint8Array })[]): Promise<Uint8Array> {
    const results = await Promise.allSettled(used.map(async (a): Promise<RealmShare | undefined> => {
      const req = unlockRequest(state, unlockKey, a.index, a.challenge, this.options.random);
      const { shareBox } = await this.options.realms[a.index]!.endpoint.recoveryFinish({
        version: b64(state.version), challenge: b64(a.challenge), boxKey: b64(req.boxKey), unlockProof: b64(req.unlockProof),
      });
      return openShareBox(state, unlockKey, a.index, req.boxSecret, bytes(shareBox));
    }));
    const shares = results.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
    const key = recoverSecret(state, shares);
    if (key) return key;
    const refused = results.find((r) => r.status === 'rejected' && !isBkvError((r as PromiseRejectedResult).reason, 'login-expired'));
    throw new BkvError('unavailable', `fewer than ${this.threshold} realms returned a valid share; try again`, refused ? { cause: (refused as PromiseRejectedResult).reason } : {});
  }

  async delete(): Promise<void> {
    await Promise.all(this.options.realms.map((r) => r.endpoint.delete()));
  }

  /** Deletes the account at every realm that answers, ignoring the others (undoing a registration not all took). */
  async withdraw(): Promise<void> {
    await Promise.allSettled(this.options.realms.map((r) => r.endpoint.delete()));
  }
}
