// Pinning the realm set on first use (docs/protocol.md "Realms, the realm set"): the CLI reads the set the server
// publishes (GET /v1/realms, no token), keeps it in $BKV_HOME/realm-set.json (0600) the first time, and from then on
// refuses a set that changed silently (other realms, URLs or threshold), since a server that swaps in realms it
// controls could otherwise collect the shares of the next registration. A server without a set pins nothing.

import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BkvError } from '../../protocol/errors.js';
import { RealmSetResponse, type RealmSet } from '../../protocol/realm/schemas.js';
import { ClientError, isClientError } from '../errors.js';
import { ApiClient } from '../http.js';
import { nodeFetch } from '../node-fetch.js';

export const REALM_PIN_FILE = 'realm-set.json';

interface Pin {
  server: string;
  set: RealmSet;
}

/** What must not change: threshold, and each realm's id, URL and registration public key in order. */
export function sameRealmSet(a: RealmSet, b: RealmSet): boolean {
  const key = (s: RealmSet) => JSON.stringify([s.threshold, s.realms.map((r) => [r.id, r.url, r.publicKey])]);
  return key(a) === key(b);
}

/** A pin written before realm sets carried public keys: whether it names the same threshold, ids and URLs as `current`. */
function keylessPin(json: { set?: unknown }, current: RealmSet | null): 'same' | 'changed' | undefined {
  const set = json.set as { threshold?: unknown; realms?: { id?: unknown; url?: unknown; publicKey?: unknown }[] } | undefined;
  if (!set || !Array.isArray(set.realms) || set.realms.length === 0 || set.realms.some((r) => typeof r !== 'object' || r === null || r.publicKey !== undefined)) return undefined;
  const key = (s: { threshold?: unknown; realms: { id?: unknown; url?: unknown }[] }) => JSON.stringify([s.threshold, s.realms.map((r) => [r.id, r.url])]);
  return current && key(set as { realms: { id?: unknown; url?: unknown }[] }) === key(current) ? 'same' : 'changed';
}

function changedSetError(path: string): ClientError {
  return new ClientError('bad-answer', `the server now names a different realm set than this device pinned (${path}); `
    + 'if its operator announced the change, remove that file and run the command again', { from: 'server' });
}

async function published(server: string): Promise<RealmSet | null> {
  const api = new ApiClient({ server, token: '', fetch: nodeFetch });
  try {
    return await api.call('realm.set');
  } catch (e) {
    if (e instanceof BkvError && e.code === 'not-found') return null;
    // the first call of most commands: a mistyped --server port says so, as the sign-in check does (session.ts)
    if (isClientError(e, 'unreachable')) throw new ClientError('unreachable', `cannot reach ${server} (is the server running? see --server and BKV_SERVER)`, e.details, { cause: e });
    throw e;
  }
}

async function readPin(path: string, server: string, current: RealmSet | null): Promise<Pin | 'keyless' | undefined> {
  try {
    const json = JSON.parse(await readFile(path, 'utf8')) as { server?: unknown; set?: unknown };
    // pinned before sets carried keys: the keys are taken on this first sight, like a first pin (TOFU)
    const keyless = keylessPin(json, current);
    if (keyless === 'same' && json.server === server) return 'keyless';
    if (keyless === 'changed' && json.server === server) throw changedSetError(path);
    const set = RealmSetResponse.safeParse(json.set);
    if (typeof json.server !== 'string' || !set.success) throw new ClientError('usage', `${path} is damaged: remove it to pin the server's realm set again`);
    return { server: json.server, set: set.data };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The realm set for `server`: pinned now if this device has none, refused if it differs from the pin. */
export async function pinnedRealmSet(home: string, server: string): Promise<RealmSet | null> {
  const path = join(home, REALM_PIN_FILE);
  const current = await published(server);
  const pin = await readPin(path, server, current);
  if (pin && pin !== 'keyless' && pin.server === server) {
    if (!current || !sameRealmSet(pin.set, current)) throw changedSetError(path);
    return pin.set;
  }
  if (!current) return null;
  await mkdir(home, { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify({ server, set: current })}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return current;
}

/** "3 realms, any 2 recover; no single operator can test your password offline" (or the single-vault wording). */
export function guardians(set: { threshold: number; realms: readonly unknown[] } | null | undefined): string {
  if (!set || set.realms.length === 1) return 'one vault: its operator could test your password offline (docs/threat-model.md)';
  const n = set.realms.length;
  const t = set.threshold;
  return t >= 2
    ? `${n} realms, any ${t} recover; no single operator can test your password offline`
    : `${n} realms, any 1 recovers; each operator could test your password offline`;
}
