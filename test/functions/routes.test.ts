// The server's route table extends the wire table by id (functions/routes.ts over protocol/routes.ts): every wire
// route has exactly one server route and every server route a wire route, each server route carries the wire
// route's method and path, and a route marked as not mutating gets no write permission.

import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/routes.js';
import { WIRE_ROUTE_IDS, WIRE_ROUTES, type WireRoute } from '../../protocol/routes.js';

describe('server routes over wire routes', () => {
  it('every wire route has exactly one server route, and every server route a wire route', () => {
    const served = ROUTES.map((r) => r.id as string);
    for (const id of WIRE_ROUTE_IDS) expect(served.filter((s) => s === id), id).toHaveLength(1);
    for (const id of served) expect(WIRE_ROUTE_IDS as string[], id).toContain(id);
    expect(served).toHaveLength(WIRE_ROUTE_IDS.length);
  });

  it('each server route has its wire route\'s method and path', () => {
    for (const r of ROUTES) {
      const wire: WireRoute = WIRE_ROUTES[r.id];
      expect([r.method, r.path], r.id).toEqual([wire.method, wire.path]);
    }
  });

  it('a route that does not mutate gets no write, delete or undelete permission; one that writes is marked mutating', () => {
    for (const r of ROUTES) {
      const writes = r.permissions.table === 'write' || (r.permissions.bucket ?? []).some((b) => b !== 'read' && b !== 'list');
      expect(WIRE_ROUTES[r.id].mutates, r.id).toBe(writes);
    }
  });
});
