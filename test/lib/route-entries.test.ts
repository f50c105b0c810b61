// lib/route-entries.ts: the route table is checked before any function is built, so a route whose handler does not
// exist yet stops `cdk synth` with a message naming the route (not an esbuild or asset stack trace).

import { describe, expect, it } from 'vitest';
import { ROUTES, type RouteSpec } from '../../functions/routes.js';
import { REPO_ROOT } from '../../lib/bundling.js';
import { checkRoutes, exportsName, RouteTableError } from '../../lib/route-entries.js';
import { testApp } from './fixture.js';
import { buildApp } from '../../lib/app.js';

const base = ROUTES[0]!;
const route = (over: Partial<RouteSpec>): RouteSpec => ({ ...base, ...over });

describe('route table checks', () => {
  it('accepts the route table as it is now', () => {
    expect(() => checkRoutes(ROUTES, REPO_ROOT)).not.toThrow();
  });

  it.for([
    ['export const create = entry();', 'create', true],
    ['export async function remove(e) {}', 'remove', true],
    ['export function handler() {}', 'handler', true],
    ['const a = 1; export { a as status, b };', 'status', true],
    ['export { b };', 'b', true],
    ['export const createX = 1;', 'create', false],
    ['const create = 1;', 'create', false],
    ['export { create as make };', 'create', false],
  ] as const)('exportsName(%j, %s) is %s', ([source, name, want]) => {
    expect(exportsName(source, name)).toBe(want);
  });

  it.for([
    [[route({ entry: 'functions/handlers/missing.ts' })], /route vault.registrationStart: entry file functions\/handlers\/missing.ts does not exist/],
    [[route({ handler: 'noSuchExport' })], /does not export a handler named "noSuchExport"/],
    [[route({ entry: '../outside.ts' })], /is outside the repository/],
    [[base, route({ path: '/v1/other' })], /route id vault.registrationStart appears twice/],
    [[base, route({ id: 'vault.copy' })], /route POST \/v1\/vault\/registration\/start appears twice/],
    [[route({ id: 'vault/x' })], /must be letters, digits and dots/],
  ] as const)('refuses %j', ([routes, message]) => {
    expect(() => checkRoutes(routes, REPO_ROOT)).toThrow(RouteTableError);
    expect(() => checkRoutes(routes, REPO_ROOT)).toThrow(message);
  });

  it('stops the synth of the whole app on a route whose handler file is missing', () => {
    const routes = [...ROUTES, route({ id: 'backups.later', path: '/v1/later', entry: 'functions/handlers/later.ts' })];
    expect(() => buildApp(testApp(), { routes })).toThrow(/route backups.later: entry file functions\/handlers\/later.ts does not exist/);
  });
});
