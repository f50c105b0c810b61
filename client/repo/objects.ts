// Whole repository objects (docs/repository.md "Objects"): JSON objects (config, snapshots, index) encrypted to
// K's age recipient as standard age files, and decrypted back with the check that the id inside is the name it
// was fetched under (an object served under another name is refused).

import { sealChunks } from '../age/stream-chunks.js';
import { beginFile } from '../age/object-parts.js';
import { decrypt } from '../age/index.js';
import { isAgeError } from '../age/errors.js';
import type { RepoKeys } from './keys.js';
import type { CallOptions, ObjectName, ObjectType, RepoStore } from './storage/store.js';
import { randomBytes } from 'node:crypto';
import { ClientError } from '../errors.js';

export function newId(): string {
  return randomBytes(32).toString('hex');
}

/** A complete age file of `plaintext` to the repository's recipient (on this thread). */
export function encryptObject(keys: RepoKeys, plaintext: Uint8Array): Uint8Array {
  const start = beginFile(keys.recipient);
  const outs = sealChunks(start.payloadKey, 0, plaintext, plaintext.length, true);
  return new Uint8Array(Buffer.concat([start.prefix, ...outs]));
}

export function decryptObject(keys: RepoKeys, file: Uint8Array): Promise<Uint8Array> {
  return decrypt(file, { identities: [keys.identity], workers: 0 });
}

export function damaged(what: string, cause?: unknown): ClientError<'damaged'> {
  return new ClientError('damaged', `repository damaged: ${what}`, { check: 'structure' }, { cause });
}

export function encodeJson(value: unknown): Uint8Array {
  return new Uint8Array(Buffer.from(JSON.stringify(value), 'utf8'));
}

export async function putJson(store: RepoStore, keys: RepoKeys, type: ObjectType, id: string, value: object, options: CallOptions = {}): Promise<number> {
  const body = encryptObject(keys, encodeJson(value));
  await store.put({ type, id }, body, options);
  return body.length;
}

/** Decrypts a JSON object and checks its `id` (and `version` when present). */
export async function parseJsonObject(keys: RepoKeys, name: ObjectName, file: Uint8Array): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(await decryptObject(keys, file)).toString('utf8'));
  } catch (e) {
    if (isAgeError(e, 'no-match')) throw e;
    throw damaged(`${name.type}/${name.id} does not decrypt or parse`, e);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw damaged(`${name.type}/${name.id} is not a json object`);
  const obj = value as Record<string, unknown>;
  if (obj.id !== name.id) throw damaged(`${name.type}/${name.id} names another id inside`);
  if (obj.version !== undefined && obj.version !== 1) throw damaged(`${name.type}/${name.id} has unsupported version ${String(obj.version)}`);
  return obj;
}

export async function getJson(store: RepoStore, keys: RepoKeys, name: ObjectName, options: CallOptions = {}): Promise<Record<string, unknown>> {
  return parseJsonObject(keys, name, await store.get(name, undefined, options));
}
