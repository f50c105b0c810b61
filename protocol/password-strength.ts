// Password strength in the terms that matter for the vault (docs/threat-model.md "Password strength"). Online,
// the vault's guess limit bounds an attacker to `maxAttempts` guesses. Offline (whoever can bypass the counter:
// the AWS account's operator, or whoever copies a local data dir) each guess costs one Argon2id evaluation at the
// protocol's parameters, and nothing else stands between them and K. The number of guesses is estimated with
// zxcvbn-ts (@zxcvbn-ts/core with its common and English dictionaries), the account name counting as a user
// input; the offline time uses the Argon2id rate measured by `npm run bench:argon2`. Passphrases are generated
// from the EFF large diceware list (7776 words) that @zxcvbn-ts/language-common ships, with node:crypto's
// randomness (injectable for tests). Nothing here stores, logs or returns the password itself.
// It lives in protocol/ because both sides apply the same rules: the client to vault passwords (bkv init, passwd)
// and the local runtime to the passwords of its local accounts (local/accounts.ts), which never imports client/.

import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import * as zxcvbnEn from '@zxcvbn-ts/language-en';
import { DEFAULT_MAX_ATTEMPTS } from './constants.js';
import { defaultRandomBytes, type RandomBytes } from './random.js';

/**
 * Offline guesses per second that one CPU core makes against a bkv vault record: one Argon2id (t=3, m=64 MiB,
 * p=4) per guess. Measured by `npm run bench:argon2` on 2 × AMD EPYC (Node v20.20.2), 2026-12-01, with a 1-minute
 * load average of 2.4: median of 9 runs of the reference C argon2 pinned to one core, 223 ms (the WASM that bkv
 * itself runs: 295 ms). docs/benchmarks.md has the figures.
 */
export const ARGON2ID_GUESSES_PER_SECOND_PER_CORE = 4.48;

/** The "large attacker" the verdicts are stated for. */
export const LARGE_ATTACKER_CORES = 10_000;

/**
 * Below 10^REFUSE_BELOW_LOG10 estimated guesses a password is refused: 10,000 cores exhaust it in under
 * half a minute (one core in under 3 days), and it is among what every cracker tries first.
 */
export const REFUSE_BELOW_LOG10 = 6;

/** Below 10^WARN_BELOW_LOG10 guesses a password is weak (warned, confirmed): 10,000 cores need under ~9 months. */
export const WARN_BELOW_LOG10 = 12;

export type PasswordVerdict = 'refused' | 'weak' | 'ok';

export interface OfflineEstimate {
  guessesPerSecondPerCore: number;
  /** Seconds to try all estimated guesses on one core (an attacker expects to succeed in about half). */
  oneCoreSeconds: number;
  largeAttackerCores: number;
  largeAttackerSeconds: number;
  /** E.g. "about 3 days on one core, less than a minute on 10,000 cores". */
  statement: string;
}

export interface OnlineEstimate {
  maxAttempts: number;
  /** Upper bound on an online attacker's chance of finding the password before the key is destroyed. */
  chance: number;
  statement: string;
}

export interface PasswordStrength {
  verdict: PasswordVerdict;
  /** log10 of the estimated number of guesses an attacker who guesses in the best order needs. */
  guessesLog10: number;
  offline: OfflineEstimate;
  online: OnlineEstimate;
  /** Why the password is refused or weak (short, lowercase, never the password). */
  reasons: string[];
  suggestions: string[];
}

export interface StrengthOptions {
  /** Words an attacker knows about this user: the account name, an email address. Their use is penalised. */
  userInputs?: string[];
  /** The vault's guess limit (default 10). */
  maxAttempts?: number;
}

let factory: ZxcvbnFactory | undefined;
function zxcvbn(): ZxcvbnFactory {
  factory ??= new ZxcvbnFactory({
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary },
    graphs: zxcvbnCommon.adjacencyGraphs,
    translations: zxcvbnEn.translations,
  });
  return factory;
}

/** The verdict for an estimated number of guesses (log10): the thresholds, in one place. */
export function verdictFor(guessesLog10: number): PasswordVerdict {
  if (!(guessesLog10 >= REFUSE_BELOW_LOG10)) return 'refused';
  return guessesLog10 < WARN_BELOW_LOG10 ? 'weak' : 'ok';
}

const UNITS: [number, string][] = [[365.25 * 86400, 'year'], [30.44 * 86400, 'month'], [86400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']];

/** A duration in plain words: "less than a second", "about 3 days", "more than a million years". */
export function formatDuration(seconds: number): string {
  if (!(seconds >= 1)) return 'less than a second';
  const years = seconds / UNITS[0]![0];
  if (years >= 1e6) return years >= 1e9 ? 'more than a billion years' : 'more than a million years';
  for (const [size, name] of UNITS) {
    if (seconds >= size) {
      const n = Math.round(seconds / size);
      return `about ${n.toLocaleString('en')} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return 'less than a second';
}

/** The offline and online statements for a number of guesses (log10). */
export function attackEstimates(guessesLog10: number, maxAttempts = DEFAULT_MAX_ATTEMPTS): { offline: OfflineEstimate; online: OnlineEstimate } {
  const guesses = 10 ** guessesLog10;
  const oneCoreSeconds = guesses / ARGON2ID_GUESSES_PER_SECOND_PER_CORE;
  const largeAttackerSeconds = oneCoreSeconds / LARGE_ATTACKER_CORES;
  const chance = Math.min(1, maxAttempts / guesses);
  const odds = chance >= 1 ? 'enough to find it' : chance >= 0.01
    ? `a ${Math.round(chance * 100)}% chance of finding it`
    : `at most a 1 in ${formatCount(1 / chance)} chance of finding it`;
  return {
    offline: {
      guessesPerSecondPerCore: ARGON2ID_GUESSES_PER_SECOND_PER_CORE, oneCoreSeconds, largeAttackerCores: LARGE_ATTACKER_CORES, largeAttackerSeconds,
      statement: `offline, whoever can bypass the guess limit needs ${formatDuration(oneCoreSeconds)} on one core, ${formatDuration(largeAttackerSeconds)} on ${LARGE_ATTACKER_CORES.toLocaleString('en')} cores`,
    },
    online: {
      maxAttempts, chance,
      statement: `online, an attacker gets ${maxAttempts} guesses before the vault destroys the key: ${odds}`,
    },
  };
}

function formatCount(n: number): string {
  if (n < 1e6) return Math.round(n).toLocaleString('en');
  return `10^${Math.floor(Math.log10(n))}`;
}

/** The words of the user inputs worth looking for: each input, and its parts split at non-letters/digits. */
function inputWords(userInputs: readonly string[]): string[] {
  const words = new Set<string>();
  for (const input of userInputs) {
    const lower = input.toLowerCase().trim();
    if (lower.length >= 3) words.add(lower);
    for (const part of lower.split(/[^\p{L}\p{N}]+/u)) if (part.length >= 3) words.add(part);
  }
  return [...words].sort((a, b) => b.length - a.length);
}

function lower(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/**
 * Estimates how hard `password` is to guess and what that means here. `userInputs` (the account name, say)
 * are known to an attacker: zxcvbn ranks them first, and a password containing one is also scored as the rest
 * of it (zxcvbn alone can miss `alice-password` for account alice).
 */
export function estimatePasswordStrength(password: string, options: StrengthOptions = {}): PasswordStrength {
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const userInputs = options.userInputs ?? [];
  if (password.length === 0) {
    return { verdict: 'refused', guessesLog10: 0, ...attackEstimates(0, maxAttempts), reasons: ['the password is empty'], suggestions: [] };
  }
  const words = inputWords(userInputs);
  const result = zxcvbn().check(password, words);
  let guessesLog10 = result.guessesLog10;
  const reasons: string[] = [];
  const found = words.filter((w) => password.toLowerCase().includes(w));
  if (found.length > 0) {
    // The attacker tries the known words in every place; what is left must carry the strength.
    let rest = password.toLowerCase();
    for (const w of found) rest = rest.split(w).join('');
    const restLog10 = rest.length === 0 ? 0 : zxcvbn().check(rest, words).guessesLog10;
    const penalised = restLog10 + Math.log10(2 * words.length * found.length);
    if (penalised < guessesLog10) guessesLog10 = penalised;
    reasons.push('it contains the account name or another word known about you');
  }
  const verdict = verdictFor(guessesLog10);
  const warning = result.feedback.warning;
  if (verdict !== 'ok') {
    // the account name first when it is what brought the estimate down
    if (warning) reasons.splice(verdictFor(result.guessesLog10) === verdict ? 0 : reasons.length, 0, lower(warning.replace(/\.$/, '')));
    if (reasons.length === 0) reasons.push(verdict === 'refused' ? 'it is among the first guesses of any password cracker' : 'it is too short or too predictable for an offline attacker');
  }
  return {
    verdict, guessesLog10, ...attackEstimates(guessesLog10, maxAttempts), reasons,
    suggestions: result.feedback.suggestions.map((s) => lower(s.replace(/\.$/, ''))),
  };
}

/** The EFF large diceware list (7776 words; @zxcvbn-ts/language-common's `diceware-common`). */
export const PASSPHRASE_WORDS: readonly string[] = zxcvbnCommon.dictionary['diceware-common'];

export const PASSPHRASE_MIN_WORDS = 4;
export const PASSPHRASE_MAX_WORDS = 32;

export interface GeneratedPassphrase {
  passphrase: string;
  words: string[];
  /** words × log2(7776): 12.9 bits a word, 77.5 bits for six. */
  entropyBits: number;
}


/** A random index below `n` (≤ 65536) from 16-bit draws, without modulo bias (rejection sampling). */
function uniformIndex(n: number, random: RandomBytes): number {
  const limit = 65536 - (65536 % n);
  for (;;) {
    const b = random(2);
    if (!(b instanceof Uint8Array) || b.length !== 2) throw new RangeError('random source returned the wrong length');
    const v = (b[0]! << 8) | b[1]!;
    if (v < limit) return v % n;
  }
}

/** `words` words drawn uniformly from the EFF list, joined by dashes (one token, nothing to quote). */
export function generatePassphrase(words = 6, random: RandomBytes = defaultRandomBytes): GeneratedPassphrase {
  if (!Number.isInteger(words) || words < PASSPHRASE_MIN_WORDS || words > PASSPHRASE_MAX_WORDS) {
    throw new RangeError(`a passphrase has ${PASSPHRASE_MIN_WORDS} to ${PASSPHRASE_MAX_WORDS} words`);
  }
  const list = PASSPHRASE_WORDS;
  const chosen = Array.from({ length: words }, () => list[uniformIndex(list.length, random)]!);
  return { passphrase: chosen.join('-'), words: chosen, entropyBits: words * Math.log2(list.length) };
}
