// The route table's handler exports, checked by the compiler: each entry file of functions/routes.ts maps to its
// module's type, and a route naming a handler its module does not export as a function fails `tsc` (a route id
// in the error). What types cannot see, unique ids and unique method + path pairs, is checked before any function
// is built, so a bad table stops `cdk synth` with a message naming the route.

import type * as authHandlers from '../functions/handlers/auth.js';
import type * as repoHandlers from '../functions/handlers/repo.js';
import type * as vaultHandlers from '../functions/handlers/vault.js';
import type * as realmHandlers from '../functions/handlers/realm.js';
import type { HandlerEntry, Route, RouteId, RouteSpec } from '../functions/routes.js';

/** Each Lambda entry file and the type of its module: a new entry file does not compile until it is listed here. */
export interface HandlerModules {
  'functions/handlers/vault.ts': typeof vaultHandlers;
  'functions/handlers/repo.ts': typeof repoHandlers;
  'functions/handlers/auth.ts': typeof authHandlers;
  'functions/handlers/realm.ts': typeof realmHandlers;
}

/** The names under which an entry module exports a function. */
export type ExportedHandler<E extends HandlerEntry> = {
  [K in keyof HandlerModules[E]]: HandlerModules[E][K] extends (...args: never[]) => unknown ? K : never;
}[keyof HandlerModules[E]] & string;

/** Route ids whose handler their entry module does not export; `never` when the table is sound. */
export type UnexportedHandlers = {
  [R in Route as R['id']]: R['handler'] extends ExportedHandler<R['entry']> ? never : R['id'];
}[RouteId];

// Compile-time assertions: every entry file has a module type, and every route's handler is exported.
const entriesListed: [HandlerEntry] extends [keyof HandlerModules] ? true : never = true;
const handlersExported: [UnexportedHandlers] extends [never] ? true : { unexported: UnexportedHandlers } = true;
void entriesListed;
void handlersExported;

export class RouteTableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RouteTableError';
  }
}

export function checkRoutes(routes: readonly RouteSpec[]): void {
  const ids = new Set<string>();
  const keys = new Set<string>();
  for (const r of routes) {
    if (ids.has(r.id)) throw new RouteTableError(`route id ${r.id} appears twice in functions/routes.ts`);
    ids.add(r.id);
    const key = `${r.method} ${r.path}`;
    if (keys.has(key)) throw new RouteTableError(`route ${key} appears twice in functions/routes.ts`);
    keys.add(key);
    if (!/^[A-Za-z][A-Za-z0-9.]*$/.test(r.id)) throw new RouteTableError(`route id "${r.id}" must be letters, digits and dots`);
  }
}
