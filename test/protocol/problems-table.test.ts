// The wire error table (protocol/problems.ts) is the one source: the server's problem mapper emits exactly its
// members, the SDK's parser reads them back typed, and the table in docs/protocol.md says the same.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { problemBody, problemResponse } from '../../functions/http/problem.js';
import { toError } from '../../client/http.js';
import { BkvError, ERROR_CODES } from '../../protocol/errors.js';
import { PROBLEMS, type ProblemCode } from '../../protocol/problems.js';

const CODES = Object.keys(PROBLEMS) as ProblemCode[];

/** Rows of the docs table: code, status, extra members (names without `?`). */
function docsTable(): Map<string, { status: number; members: string[] }> {
  const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
  const rows = new Map<string, { status: number; members: string[] }>();
  const table = doc.slice(doc.indexOf('| code (`type` suffix) |'));
  for (const line of table.split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const [, code, status, members] = line.split('|').map((c) => c.trim());
    rows.set(code!.replaceAll('`', ''), {
      status: Number(status),
      members: members === '–' ? [] : [...members!.matchAll(/`([a-zA-Z]+)`/g)].map((m) => m[1]!),
    });
  }
  return rows;
}

/** A value for every declared member, as a server would send it. */
function sampleDetails(code: ProblemCode): Record<string, unknown> {
  const shape: Record<string, z.ZodType> = PROBLEMS[code].details.shape;
  return Object.fromEntries(Object.entries(shape).map(([k, schema]) => [k, [0, 'x', true].find((v) => schema.safeParse(v).success)]));
}

describe('wire error table', () => {
  it('docs/protocol.md lists every code with its status and extra members, and nothing else', () => {
    const docs = docsTable();
    expect([...docs.keys()].sort()).toEqual([...CODES].sort());
    for (const code of CODES) {
      expect(docs.get(code)?.status, code).toBe(PROBLEMS[code].status);
      expect(docs.get(code)?.members.sort(), code).toEqual(Object.keys(PROBLEMS[code].details.shape).sort());
      expect(ERROR_CODES[code]).toBe(PROBLEMS[code].status);
    }
  });

  it.for(CODES)('%s: the mapper emits the declared members only, and the SDK parses them back', (code) => {
    const details = { ...sampleDetails(code), stack: 'at secret.ts:1:1', password: 'hunter2' };
    const res = problemResponse(new BkvError(code, 'short text', { details }));
    expect(res.statusCode).toBe(PROBLEMS[code].status);
    const body = JSON.parse(res.body!) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['detail', 'status', 'title', 'type', ...Object.keys(sampleDetails(code))].sort());
    const back = toError(res.statusCode!, res.body!);
    expect(back.code).toBe(code);
    expect(back.details).toEqual(sampleDetails(code));
    expect(back.message).toBe('short text');
  });

  it('typed details: wrong-password carries its count, a malformed count is dropped', () => {
    const good = toError(401, JSON.stringify({ ...problemBody(new BkvError('wrong-password', 'wrong password', { details: { attemptsRemaining: 4 } })) }));
    expect(good.wireDetails('wrong-password')).toEqual({ attemptsRemaining: 4 });
    expect(good.wireDetails('locked')).toBeUndefined();
    const bad = toError(401, JSON.stringify({ type: 'urn:bkv:problem:wrong-password', title: 't', status: 401, attemptsRemaining: 'four' }));
    expect(bad.code).toBe('wrong-password');
    expect(bad.details).toEqual({});
  });
});
