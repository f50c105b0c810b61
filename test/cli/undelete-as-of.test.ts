// `bkv undelete --as-of`: an ISO time with a zone, or minutes/hours/days ago; anything else (no zone, a future
// time, a bare number, garbage) is a usage error (exit 2) before any request.

import { describe, expect, it } from 'vitest';
import { parseAsOf } from '../../client/cli/commands/undelete.js';
import { isClientError } from '../../client/errors.js';

const NOW = Date.parse('2026-12-07T20:00:00.000Z');

describe('undelete --as-of', () => {
  it.for([
    ['2026-12-07T19:00:00Z', Date.parse('2026-12-07T19:00:00Z')],
    ['2026-12-07T19:00:00.123+01:00', Date.parse('2026-12-07T18:00:00.123Z')],
    ['2026-12-07T20:00Z', NOW],
    ['30m', NOW - 30 * 60_000],
    ['2h', NOW - 2 * 3_600_000],
    ['3d', NOW - 3 * 86_400_000],
  ] as const)('%s is %i', ([text, want]) => {
    expect(parseAsOf(text, NOW)).toBe(want);
  });

  it.for([[undefined], ['2026-12-07T19:00:00'], ['2026-12-07'], ['2026-12-07T20:00:00.001Z'], ['5'], ['3w'], ['yesterday'], ['2026-13-40T99:00:00Z']] as const)(
    '%s is a usage error', ([text]) => {
      let e: unknown;
      try {
        parseAsOf(text, NOW);
      } catch (x) {
        e = x;
      }
      expect(isClientError(e, 'usage')).toBe(true);
    },
  );
});
