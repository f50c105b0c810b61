// functions/observability.ts: which request outcomes count as which business metric (the alarms in lib/ read
// LoginStarts, LoginFailures, Locked, RepoUploads, QuotaExceeded), what the observer writes (EMF with those names and
// nothing from the request), and that a metrics failure never changes the answer.

import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Outcome } from '../../functions/http/route.js';
import { logger, logOutcome, metrics, metricsFor } from '../../functions/observability.js';

const outcome = (o: Partial<Outcome>): Outcome => ({ route: 'vault.status', status: 200, ms: 3, ...o });

afterEach(() => vi.restoreAllMocks());

describe('business metrics', () => {
  it.for([
    [{ route: 'vault.loginStart', status: 200 }, ['LoginStarts']],
    [{ route: 'vault.loginStart', status: 299 }, ['LoginStarts']],
    [{ route: 'vault.loginStart', status: 300 }, []],
    [{ route: 'vault.loginStart', status: 199 }, []],
    [{ route: 'vault.registrationStart', status: 200 }, ['RegistrationStarts']],
    [{ route: 'vault.registrationStart', status: 400, code: 'bad-request' }, []],
    [{ route: 'vault.loginStart', status: 423, code: 'locked' }, ['Locked']],
    [{ route: 'vault.loginFinish', status: 401, code: 'wrong-password' }, ['LoginFailures']],
    [{ route: 'vault.loginFinish', status: 401, code: 'login-expired' }, []],
    [{ route: 'vault.loginFinish', status: 401, code: 'invalid-token' }, []],
    [{ route: 'vault.loginFinish', status: 423, code: 'locked' }, ['Locked']],
    [{ route: 'vault.status', status: 423, code: 'locked' }, ['Locked']],
    [{ route: 'repo.uploads', status: 200 }, ['RepoUploads']],
    [{ route: 'repo.uploads', status: 413, code: 'quota-exceeded' }, ['QuotaExceeded']],
    [{ route: 'repo.downloads', status: 200 }, []],
    [{ route: 'repo.delete', status: 200 }, ['RepoDeletions']],
    [{ route: 'repo.delete', status: 409, code: 'lock-lost' }, []],
    [{ route: 'vault.delete', status: 204 }, ['RepoDeletions']],
    [{ route: 'repo.undelete', status: 200 }, ['RepoUndeletes']],
    [{ route: 'vault.status', status: 500, code: 'internal' }, []],
  ] as const)('%j counts toward %j', ([o, want]) => {
    expect(metricsFor(outcome(o))).toEqual(want);
  });
});

describe('the observer', () => {
  function captured(o: Outcome): string {
    const lines: string[] = [];
    const sink = (...args: unknown[]) => { lines.push(args.map(String).join(' ')); };
    vi.spyOn(console, 'log').mockImplementation(sink);
    vi.spyOn(console, 'info').mockImplementation(sink);
    vi.spyOn(console, 'warn').mockImplementation(sink);
    vi.spyOn(console, 'error').mockImplementation(sink);
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { lines.push(String(chunk)); return true; });
    for (const level of ['info', 'warn', 'error'] as const) {
      vi.spyOn(logger, level).mockImplementation((...args: unknown[]) => { lines.push(JSON.stringify(args)); });
    }
    logOutcome(o);
    return lines.join('\n');
  }

  it('publishes an EMF document in namespace bkv with the metric, dimension service=bkv', () => {
    const out = captured(outcome({ route: 'vault.loginStart', status: 423, code: 'locked' }));
    const emf = out.split('\n').map((l) => { try { return JSON.parse(l) as Record<string, unknown>; } catch { return undefined; } })
      .find((j) => j && '_aws' in j);
    expect(emf).toBeDefined();
    expect(JSON.stringify((emf!._aws as Record<string, unknown>).CloudWatchMetrics)).toContain('"Namespace":"bkv"');
    expect(emf).toMatchObject({ Locked: 1, service: 'bkv' });
  });

  it('publishes nothing for an outcome that counts toward no metric', () => {
    const publish = vi.spyOn(metrics, 'publishStoredMetrics');
    captured(outcome({ route: 'vault.status', status: 200 }));
    expect(publish).not.toHaveBeenCalled();
  });

  it('carries only route, status, code and latency: no account, token or error detail', () => {
    const out = captured(outcome({ route: 'vault.loginFinish', status: 500, code: 'internal', error: new Error('secret-detail alice') }));
    expect(out).toContain('vault.loginFinish');
    expect(out).not.toContain('secret-detail');
    expect(out).not.toContain('alice');
  });

  it('never throws when publishing metrics fails', () => {
    vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => { throw new Error('emf down'); });
    expect(() => captured(outcome({ route: 'repo.uploads', status: 200 }))).not.toThrow();
  });
});
