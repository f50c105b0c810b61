// The wire route table (docs/protocol.md "Routes"): every HTTP route of a bkv server as client and server both
// see it: its id, method, path, query parameters, the zod schemas of its request body and its answer, and whether
// it changes server state. functions/routes.ts extends each entry, by the same id, with only the server's concerns
// (Lambda entry, handler, permissions, settings); the client calls routes by id (client/http.ts `ApiClient.call`),
// so no path is spelled twice. test/protocol/routes.test.ts and test/functions/routes.test.ts hold the two tables
// to each other: a route cannot exist on one side only.

import type * as z from 'zod';
import {
  CreateConfigRequest, DeleteRequest, DeleteResponse, DownloadsRequest, DownloadsResponse, ListResponse, LockRequestSchema, LockResponse,
  PresignedPut, RepoStatusResponse, UndeleteRequest, UndeleteResponse, UploadsRequest, UploadsResponse,
} from './repo-schemas.js';
import {
  RealmRegisterRequest, RealmRegisterResponse, RealmSetResponse, RealmStatusResponse, RecoveryFinishRequest, RecoveryFinishResponse,
  RecoveryStartRequest, RecoveryStartResponse,
} from './realm/schemas.js';
import {
  LoginFinishRequest, LoginFinishResponse, LoginStartRequest, LoginStartResponse, RegistrationFinishRequest, RegistrationFinishResponse,
  RegistrationStartRequest, RegistrationStartResponse, VaultStatusResponse,
} from './schemas.js';
import { SignInConfig } from './sign-in.js';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface WireRoute {
  method: HttpMethod;
  /** API Gateway path syntax: `/v1/repo/locks/{lockId}`; each `{name}` is a path parameter. */
  path: string;
  /** The query parameters the route takes (all optional on the wire; the handler says which it needs). */
  query?: readonly string[];
  /** The JSON body's schema; absent: the route takes no body. */
  request?: z.ZodType;
  /** The answer's schema; absent: the route answers no body (204), or its body is not read. */
  answer?: z.ZodType;
  /** Whether a call may change server state (count a guess, write an item or an object, take a lock). */
  mutates: boolean;
}

export const WIRE_ROUTES = {
  // Records the pending registration (its id and the credential id drawn for it).
  'vault.registrationStart': {
    method: 'POST', path: '/v1/vault/registration/start', request: RegistrationStartRequest, answer: RegistrationStartResponse, mutates: true,
  },
  'vault.registrationFinish': {
    method: 'POST', path: '/v1/vault/registration/finish', request: RegistrationFinishRequest, answer: RegistrationFinishResponse, mutates: true,
  },
  'vault.loginStart': { method: 'POST', path: '/v1/vault/login/start', request: LoginStartRequest, answer: LoginStartResponse, mutates: true },
  'vault.loginFinish': { method: 'POST', path: '/v1/vault/login/finish', request: LoginFinishRequest, answer: LoginFinishResponse, mutates: true },
  'vault.status': { method: 'GET', path: '/v1/vault', answer: VaultStatusResponse, mutates: false },
  // `?backups=true` also deletes the account's repository.
  'vault.delete': { method: 'DELETE', path: '/v1/vault', query: ['backups'], mutates: true },
  'repo.status': { method: 'GET', path: '/v1/repo', answer: RepoStatusResponse, mutates: false },
  'repo.createConfig': { method: 'POST', path: '/v1/repo/config', request: CreateConfigRequest, answer: PresignedPut, mutates: true },
  'repo.uploads': { method: 'POST', path: '/v1/repo/uploads', request: UploadsRequest, answer: UploadsResponse, mutates: true },
  'repo.downloads': { method: 'POST', path: '/v1/repo/downloads', request: DownloadsRequest, answer: DownloadsResponse, mutates: false },
  'repo.list': { method: 'GET', path: '/v1/repo/objects', query: ['type', 'after', 'limit'], answer: ListResponse, mutates: false },
  'repo.delete': { method: 'POST', path: '/v1/repo/delete', request: DeleteRequest, answer: DeleteResponse, mutates: true },
  'repo.undelete': { method: 'POST', path: '/v1/repo/undelete', request: UndeleteRequest, answer: UndeleteResponse, mutates: true },
  'repo.lock': { method: 'POST', path: '/v1/repo/locks', request: LockRequestSchema, answer: LockResponse, mutates: true },
  'repo.refresh': { method: 'POST', path: '/v1/repo/locks/{lockId}/refresh', answer: LockResponse, mutates: true },
  'repo.unlock': { method: 'DELETE', path: '/v1/repo/locks/{lockId}', mutates: true },
  'auth.config': { method: 'GET', path: '/v1/auth', answer: SignInConfig, mutates: false },
  'realm.register': { method: 'POST', path: '/v1/realm/register', request: RealmRegisterRequest, answer: RealmRegisterResponse, mutates: true },
  'realm.status': { method: 'GET', path: '/v1/realm', answer: RealmStatusResponse, mutates: false },
  'realm.recoveryStart': {
    method: 'POST', path: '/v1/realm/recovery/start', request: RecoveryStartRequest, answer: RecoveryStartResponse, mutates: true,
  },
  'realm.recoveryFinish': {
    method: 'POST', path: '/v1/realm/recovery/finish', request: RecoveryFinishRequest, answer: RecoveryFinishResponse, mutates: true,
  },
  'realm.delete': { method: 'DELETE', path: '/v1/realm', mutates: true },
  'realm.set': { method: 'GET', path: '/v1/realms', answer: RealmSetResponse, mutates: false },
} as const satisfies Record<string, WireRoute>;

export type WireRouteId = keyof typeof WIRE_ROUTES;
export const WIRE_ROUTE_IDS = Object.keys(WIRE_ROUTES) as WireRouteId[];

type Entry<Id extends WireRouteId> = (typeof WIRE_ROUTES)[Id];
/** The names `{name}` in a path. */
type PathParamNames<P extends string> = P extends `${string}{${infer N}}${infer Rest}` ? N | PathParamNames<Rest> : never;
/** The body a route takes (the schema's input), or `undefined`. */
export type RouteRequest<Id extends WireRouteId> = Entry<Id> extends { request: infer S extends z.ZodType } ? z.input<S> : undefined;
/** What a route answers (the schema's output), or `undefined`. */
export type RouteAnswer<Id extends WireRouteId> = Entry<Id> extends { answer: infer S extends z.ZodType } ? z.output<S> : undefined;
/** The path parameters and query parameters of a call of route `Id`, typed from the table. */
export type RouteParams<Id extends WireRouteId> = ([PathParamNames<Entry<Id>['path']>] extends [never]
  ? { params?: undefined }
  : { params: Record<PathParamNames<Entry<Id>['path']>, string> })
  & (Entry<Id> extends { query: readonly (infer Q extends string)[] } ? { query?: Partial<Record<Q, string>> } : { query?: undefined });

/**
 * The path (and query) of a call of route `id`: `{name}`s filled in from `params` (percent-encoded), the query
 * parameters that are set appended in the table's order. Relative to the server's base URL.
 */
export function routePath<Id extends WireRouteId>(id: Id, options?: RouteParams<Id>): string {
  const route: WireRoute = WIRE_ROUTES[id];
  const params = (options?.params ?? {}) as Record<string, string>;
  const path = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`route ${id} needs path parameter ${name}`);
    return encodeURIComponent(value);
  });
  const query = (options?.query ?? {}) as Record<string, string | undefined>;
  const search = new URLSearchParams();
  for (const name of route.query ?? []) {
    const value = query[name];
    if (value !== undefined) search.set(name, value);
  }
  const s = search.toString();
  return s === '' ? path : `${path}?${s}`;
}

/** The URL of a call of route `id` at the server whose base URL is `base`. */
export function routeUrl<Id extends WireRouteId>(base: string | URL, id: Id, options?: RouteParams<Id>): URL {
  return new URL(routePath(id, options), base);
}
