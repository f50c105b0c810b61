// The README's "Exit codes" table is the CLI's exit-code map (client/cli/exit.ts): every row's code is what the
// map gives each kind and problem code the row names, every client-local kind and every problem code appears in
// exactly one row, and errors that are neither a ClientError nor a BkvError exit 1.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT, EXIT_FOR_CODE, EXIT_FOR_KIND, exitCodeFor } from '../../client/cli/exit.js';
import { AgeError } from '../../client/age/errors.js';
import { CLIENT_ERROR_KINDS, ClientError } from '../../client/errors.js';
import { BkvError } from '../../protocol/errors.js';
import { PROBLEMS, type ProblemCode } from '../../protocol/problems.js';

interface Row { exit: number; kinds: string[]; codes: string[] }

/** The rows of the table under "Exit codes": `| code | meaning | kinds `a`, `b`; codes `c` |`. */
function readmeRows(): Row[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const table = readme.slice(readme.indexOf('\nExit codes'));
  const lines = table.split('\n').filter((l) => /^\| \d+ \|/.test(l));
  const end = lines.findIndex((l, i) => i > 0 && l.startsWith('| 0 |'));
  return (end < 0 ? lines : lines.slice(0, end)).map((line) => {
    const cells = line.split(' | ');
    const errors = (cells[2] ?? '').replace(/\|$/, '');
    const group = (word: string) => {
      const m = new RegExp(`\\b${word}s? ((?:\`[a-z-]+\`(?:, )?)+)`).exec(errors);
      return m ? [...m[1]!.matchAll(/`([a-z-]+)`/g)].map((x) => x[1]!) : [];
    };
    return { exit: Number(cells[0]!.slice(2)), kinds: group('kind'), codes: group('code') };
  });
}

const rows = readmeRows();

describe('README exit codes table', () => {
  it('has the rows 0 to 6, in order', () => {
    expect(rows.map((r) => r.exit)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(Object.values(EXIT)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it.for(rows.filter((r) => r.exit !== 0))('row $exit: the map gives it to every kind and code it names', (row) => {
    expect(row.kinds.length + row.codes.length).toBeGreaterThan(0);
    for (const kind of row.kinds) {
      expect(EXIT_FOR_KIND[kind as keyof typeof EXIT_FOR_KIND], kind).toBe(row.exit);
      expect(exitCodeFor(new ClientError(kind as keyof typeof EXIT_FOR_KIND, 'x', {} as never))).toBe(row.exit);
    }
    for (const code of row.codes) {
      expect(EXIT_FOR_CODE[code as ProblemCode], code).toBe(row.exit);
      expect(exitCodeFor(new BkvError(code as ProblemCode, 'x'))).toBe(row.exit);
    }
  });

  it('names every client-local kind exactly once', () => {
    expect(rows.flatMap((r) => r.kinds).sort()).toEqual([...CLIENT_ERROR_KINDS].sort());
    expect(Object.keys(EXIT_FOR_KIND).sort()).toEqual([...CLIENT_ERROR_KINDS].sort());
  });

  it('names every problem code of the wire table exactly once', () => {
    expect(rows.flatMap((r) => r.codes).sort()).toEqual(Object.keys(PROBLEMS).sort());
  });
});

describe('exitCodeFor', () => {
  it.for([
    ['no-match', 3], ['header', 5], ['hmac', 5], ['payload', 5],
  ] as const)('an age %s error exits %i', ([check, exit]) => {
    expect(exitCodeFor(new AgeError(check, 'x'))).toBe(exit);
  });

  it('anything else is a failure', () => {
    expect(exitCodeFor(new Error('bug'))).toBe(1);
    expect(exitCodeFor(Object.assign(new Error('ENOSPC'), { code: 'ENOSPC', syscall: 'write' }))).toBe(1);
    expect(exitCodeFor('string')).toBe(1);
  });
});
