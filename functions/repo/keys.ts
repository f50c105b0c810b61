// Object keys of the repository (docs/repository.md "Objects"): every object of an account lives under a prefix
// built from the verified account only, `accounts/<base64url(UTF-8 account)>/repo/<type>/<id>` (base64url has no
// '/', so no account's prefix is a prefix of another's). No route takes a key or prefix from the request.

import { encodeBase64url } from '../../protocol/base64url.js';
import { REPO_OBJECT_ID_PATTERN } from '../../protocol/repo-schemas.js';

export type RepoObjectType = 'config' | 'snapshots' | 'index' | 'data';

export interface RepoObjectName {
  type: RepoObjectType;
  id: string;
}

/** Everything the account owns in the bucket (the repository and anything older). */
export function accountPrefix(account: string): string {
  return `accounts/${encodeBase64url(Buffer.from(account, 'utf8'))}/`;
}

export function repoPrefix(account: string): string {
  return `${accountPrefix(account)}repo/`;
}

export function typePrefix(account: string, type: RepoObjectType): string {
  return `${repoPrefix(account)}${type}/`;
}

export function objectKey(account: string, name: RepoObjectName): string {
  return `${typePrefix(account, name.type)}${name.id}`;
}

/** The id of a key listed under `prefix` (a typePrefix), or undefined when the rest is not an object id. */
export function idOfKey(prefix: string, key: string): string | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const id = key.slice(prefix.length);
  return REPO_OBJECT_ID_PATTERN.test(id) ? id : undefined;
}
