// The route table's handlers: lib/route-entries.ts makes `tsc` refuse a route whose entry module does not export
// its handler; this test holds the same at run time (each route's handler is a function its module exports, as
// Lambda will call it), shows that importing a handler module builds nothing (no environment needed), and checks
// the refusals `cdk synth` stops with for duplicate ids and method + path pairs.

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROUTES, type RouteSpec } from '../../functions/routes.js';
import { RESOURCE_ENV, SETTINGS, type SettingNames } from '../../protocol/env.js';
import { buildApp } from '../../lib/app.js';
import { REPO_ROOT } from '../../lib/bundling.js';
import { checkRoutes, RouteTableError } from '../../lib/route-entries.js';
import { testApp } from './fixture.js';

const base = ROUTES[0]!;
const route = (over: Partial<RouteSpec>): RouteSpec => ({ ...base, ...over });
const ENV_NAMES = [
  ...Object.values(RESOURCE_ENV),
  ...Object.values(SETTINGS).map((n: SettingNames) => n.lambda).filter((n) => n !== undefined),
];

describe('route table handlers', () => {
  it('each route\'s handler is a function its entry module exports, and importing the module needs no environment', async () => {
    for (const name of ENV_NAMES) expect(process.env[name], name).toBeUndefined();
    const entries = [...new Set(ROUTES.map((r) => r.entry))];
    const modules = new Map<string, Record<string, unknown>>();
    for (const entry of entries) modules.set(entry, await import(path.join(REPO_ROOT, entry)) as Record<string, unknown>);
    for (const r of ROUTES) expect(typeof modules.get(r.entry)![r.handler], `${r.id}: ${r.entry} exports ${r.handler}`).toBe('function');
  });

  it('accepts the route table as it is now', () => {
    expect(() => checkRoutes(ROUTES)).not.toThrow();
  });

  it.for([
    [[base, route({ path: '/v1/other' })], /route id vault.registrationStart appears twice/],
    [[base, route({ id: 'vault.copy' })], /route POST \/v1\/vault\/registration\/start appears twice/],
    [[route({ id: 'vault/x' })], /must be letters, digits and dots/],
  ] as const)('refuses %j', ([routes, message]) => {
    expect(() => checkRoutes(routes)).toThrow(RouteTableError);
    expect(() => checkRoutes(routes)).toThrow(message);
  });

  it('stops the synth of the whole app on a duplicate route', () => {
    const routes = [...ROUTES, route({ id: 'backups.later' })];
    expect(() => buildApp(testApp(), { routes })).toThrow(/route POST \/v1\/vault\/registration\/start appears twice/);
  });
});
