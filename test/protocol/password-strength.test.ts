// Password strength (protocol/password-strength.ts): the verdict thresholds at their exact boundaries, the offline
// times they stand for at the measured Argon2id rate, real passwords on each side (the account name penalised),
// and generated passphrases (the EFF list, uniform draws from the injected RNG, their stated entropy).

import { describe, expect, it } from 'vitest';
import {
  ARGON2ID_GUESSES_PER_SECOND_PER_CORE, LARGE_ATTACKER_CORES, PASSPHRASE_WORDS, REFUSE_BELOW_LOG10, WARN_BELOW_LOG10,
  attackEstimates, estimatePasswordStrength, formatDuration, generatePassphrase, verdictFor,
} from '../../protocol/password-strength.js';

describe('verdict thresholds', () => {
  it.for([
    [-1, 'refused'], [0, 'refused'], [REFUSE_BELOW_LOG10 - 1e-9, 'refused'], [Number.NaN, 'refused'],
    [REFUSE_BELOW_LOG10, 'weak'], [WARN_BELOW_LOG10 - 1e-9, 'weak'],
    [WARN_BELOW_LOG10, 'ok'], [40, 'ok'], [Infinity, 'ok'],
  ] as const)('10^%d guesses → %s', ([log10, verdict]) => {
    expect(verdictFor(log10)).toBe(verdict);
  });

  it('thresholds mean what docs/threat-model.md says at 10,000 cores', () => {
    expect(REFUSE_BELOW_LOG10).toBe(6);
    expect(WARN_BELOW_LOG10).toBe(12);
    const refuse = attackEstimates(REFUSE_BELOW_LOG10).offline;
    expect(refuse.largeAttackerSeconds).toBeLessThan(30); // refused: gone in half a minute
    expect(refuse.oneCoreSeconds).toBeLessThan(3 * 86400); // ... and in under 3 days on one core
    const warn = attackEstimates(WARN_BELOW_LOG10).offline;
    expect(warn.largeAttackerSeconds / 86400).toBeGreaterThan(200); // ok: 10,000 cores need more than 200 days
    expect(warn.largeAttackerSeconds / 86400).toBeLessThan(300);
    expect(warn.largeAttackerCores).toBe(LARGE_ATTACKER_CORES);
    expect(warn.guessesPerSecondPerCore).toBe(ARGON2ID_GUESSES_PER_SECOND_PER_CORE);
  });

  it.for([
    [0.5, 'less than a second'], [1, 'about 1 second'], [59, 'about 59 seconds'], [60, 'about 1 minute'],
    [3600 * 5, 'about 5 hours'], [86400 * 3, 'about 3 days'], [365.25 * 86400 * 2, 'about 2 years'],
    [365.25 * 86400 * 1e6, 'more than a million years'], [365.25 * 86400 * 1e9, 'more than a billion years'],
  ] as const)('%d seconds read "%s"', ([seconds, words]) => {
    expect(formatDuration(seconds)).toBe(words);
  });

  it('states the online chance from the guess limit', () => {
    expect(attackEstimates(0.5, 10).online).toMatchObject({ maxAttempts: 10, chance: 1, statement: expect.stringMatching(/10 guesses before the vault destroys the key: enough to find it$/) });
    expect(attackEstimates(3, 10).online.statement).toMatch(/: a 1% chance of finding it$/);
    expect(attackEstimates(5, 10).online.statement).toMatch(/: at most a 1 in 10,000 chance of finding it$/);
    expect(attackEstimates(12, 3).online.statement).toMatch(/gets 3 guesses .*at most a 1 in 10\^11 chance/);
  });
});

describe('estimatePasswordStrength', () => {
  it.for([
    ['', 'refused', /the password is empty/],
    ['abc', 'refused', /common character sequences/],
    ['password', 'refused', /heavily used password/],
    ['qwertyuiop', 'refused', /frequently used password/],
    ['a fresh start', 'weak', /too short or too predictable/],
    ['Tr0ub4dor&3', 'weak', /too short or too predictable/],
    ['amber-falcon-quiet-harbor', 'ok', undefined],
    ['kx8#Lq2!vP9zQ', 'ok', undefined],
  ] as const)('%j is %s', ([password, verdict, reason]) => {
    const s = estimatePasswordStrength(password, { userInputs: ['me'] });
    expect(s.verdict).toBe(verdict);
    expect(verdictFor(s.guessesLog10)).toBe(verdict);
    if (reason) expect(s.reasons.join('; ')).toMatch(reason);
    else expect(s.reasons).toEqual([]);
    const said = [...s.reasons, ...s.suggestions, s.offline.statement, s.online.statement].join('\n');
    if (password.length > 8) expect(said).not.toContain(password); // ("password" is in zxcvbn's own warning)
  });

  it('penalises the account name: alice-password is refused for alice, weak for bob', () => {
    const alice = estimatePasswordStrength('alice-password', { userInputs: ['alice'] });
    const bob = estimatePasswordStrength('alice-password', { userInputs: ['bob'] });
    expect(alice.verdict).toBe('refused');
    expect(alice.reasons).toContain('it contains the account name or another word known about you');
    expect(bob.verdict).toBe('weak');
    expect(alice.guessesLog10).toBeLessThan(bob.guessesLog10 - 2);
    expect(estimatePasswordStrength('Alice.Smith2024', { userInputs: ['alice.smith@example.com'] }).verdict).toBe('refused');
  });

  it('states offline time and online chance in the result', () => {
    const s = estimatePasswordStrength('amber-falcon-quiet-harbor', { maxAttempts: 5 });
    expect(s.offline.statement).toMatch(/^offline, whoever can bypass the guess limit needs .+ on one core, .+ on 10,000 cores$/);
    expect(s.offline.largeAttackerSeconds).toBeCloseTo(s.offline.oneCoreSeconds / LARGE_ATTACKER_CORES);
    expect(s.online.maxAttempts).toBe(5);
  });
});

describe('generatePassphrase', () => {
  it('draws from the EFF large list (7776 distinct lowercase words)', () => {
    expect(PASSPHRASE_WORDS).toHaveLength(7776);
    expect(new Set(PASSPHRASE_WORDS).size).toBe(7776);
    expect(PASSPHRASE_WORDS.every((w) => /^[a-z]+$/.test(w))).toBe(true);
    expect(PASSPHRASE_WORDS.slice(0, 2)).toEqual(['abacus', 'abdomen']);
  });

  it('six words by default, 12.9 bits each, and strong by the estimator', () => {
    const g = generatePassphrase();
    expect(g.words).toHaveLength(6);
    expect(g.passphrase).toBe(g.words.join('-'));
    expect(g.entropyBits).toBeCloseTo(6 * Math.log2(7776), 6);
    expect(Math.floor(g.entropyBits)).toBe(77);
    expect(estimatePasswordStrength(g.passphrase).verdict).toBe('ok');
  });

  it('maps 16-bit draws to words without modulo bias (62208 and above are drawn again)', () => {
    const draws = [[0x00, 0x00], [0xf2, 0xff], [0xf3, 0x00], [0xff, 0xff], [0x1e, 0x60], [0x1e, 0x5f]];
    let i = 0;
    const random = (n: number) => {
      expect(n).toBe(2);
      return Uint8Array.from(draws[i++]!);
    };
    const g = generatePassphrase(4, random);
    // 0 → word 0; 0xf2ff = 62207 → 62207 % 7776 = 7775; 0xf300 = 62208 and 0xffff rejected; 0x1e60 = 7776 → 0; 0x1e5f → 7775
    expect(g.words).toEqual([PASSPHRASE_WORDS[0], PASSPHRASE_WORDS[7775], PASSPHRASE_WORDS[0], PASSPHRASE_WORDS[7775]]);
    expect(i).toBe(6);
  });

  it.for([3, 33, 4.5, Number.NaN])('refuses %d words', (n) => {
    expect(() => generatePassphrase(n)).toThrow(RangeError);
  });

  it.for([4, 32])('accepts %d words', (n) => {
    expect(generatePassphrase(n).words).toHaveLength(n);
  });

  it('checks the random source', () => {
    expect(() => generatePassphrase(4, () => new Uint8Array(1))).toThrow(RangeError);
  });
});
