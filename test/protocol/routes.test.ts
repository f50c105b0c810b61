// The wire route table (protocol/routes.ts): its paths and methods are unique, only routes that may change state
// are marked so (no GET mutates), and routePath/routeUrl build exactly the paths the table declares.

import { describe, expect, it } from 'vitest';
import { routePath, routeUrl, WIRE_ROUTE_IDS, WIRE_ROUTES, type WireRoute } from '../../protocol/routes.js';

const entries = WIRE_ROUTE_IDS.map((id) => [id, WIRE_ROUTES[id] as WireRoute] as const);

describe('wire route table', () => {
  it('has one route per method and path, each id <area>.<name>', () => {
    const keys = entries.map(([, r]) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const [id, r] of entries) {
      expect(id).toMatch(/^(vault|repo|realm|auth)\.[a-zA-Z]+$/);
      expect(r.path, id).toMatch(/^\/v1\/[a-z/{}A-Z]+$/);
    }
  });

  it('no GET route mutates or takes a body (a GET may be retried and cached freely)', () => {
    for (const [id, r] of entries.filter(([, r]) => r.method === 'GET')) {
      expect(r.mutates, id).toBe(false);
      expect(r.request, id).toBeUndefined();
    }
  });

  it('every DELETE mutates and takes no body', () => {
    for (const [id, r] of entries.filter(([, r]) => r.method === 'DELETE')) {
      expect(r.mutates, id).toBe(true);
      expect(r.request, id).toBeUndefined();
    }
  });

  it.for([
    ['vault.status', undefined, '/v1/vault'],
    ['vault.delete', { query: { backups: 'true' } }, '/v1/vault?backups=true'],
    ['vault.delete', { query: {} }, '/v1/vault'],
    ['repo.list', { query: { type: 'data', after: 'ab' } }, '/v1/repo/objects?type=data&after=ab'],
    ['repo.list', { query: { after: 'ab', type: 'index', limit: '5' } }, '/v1/repo/objects?type=index&after=ab&limit=5'],
    ['repo.refresh', { params: { lockId: '0123456789abcdef0123456789abcdef' } }, '/v1/repo/locks/0123456789abcdef0123456789abcdef/refresh'],
    ['repo.unlock', { params: { lockId: 'a/b?c' } }, '/v1/repo/locks/a%2Fb%3Fc'],
  ] as const)('routePath(%s, %j) is %s', ([id, options, want]) => {
    expect(routePath(id, options as never)).toBe(want);
  });

  it('a query parameter the route does not declare is not sent', () => {
    expect(routePath('vault.status', { query: { backups: 'true' } } as never)).toBe('/v1/vault');
  });

  it('a missing path parameter is refused, not sent as "undefined"', () => {
    expect(() => routePath('repo.unlock', {} as never)).toThrow(/needs path parameter lockId/);
  });

  it('routeUrl resolves against the base URL', () => {
    expect(routeUrl('http://127.0.0.1:8787', 'auth.config').href).toBe('http://127.0.0.1:8787/v1/auth');
    expect(routeUrl('https://h.example/', 'realm.set').href).toBe('https://h.example/v1/realms');
  });
});
