// RepoStore over the repository API (docs/protocol.md "Repository API"): URLs are asked for in batches (puts and
// gets issued in the same tick share one request), object bytes go straight to and from the presigned URLs over
// node:http/https with keep-alive agents (no undici: a body is written to the socket as it is) that never reuse
// a connection the server may have closed (client/keep-alive.ts), download URLs are cached until shortly before
// they expire, and 503/507/network failures are retried with exponential backoff honouring retry-after: the
// storage's always, the API's for every retry-safe call (reads, URL requests, lock refreshes; not a lock's
// creation or a deletion, whose second try could act twice), as retry-policy.ts decides. S3's 404 is
// RepoObjectMissing; a short or garbled answer is a clear error, never data. This is the one retry layer of the
// repository's traffic: the blob workers' own transfers (direct.ts, raw-get.ts) try once and hand a failure back
// to it. API calls go by route id (protocol/routes.ts through ApiClient.call), so no path is spelled here.

import type { IncomingMessage } from 'node:http';
import { keepAliveAgents } from '../../keep-alive.js';
import { BkvError, isBkvError } from '../../../protocol/errors.js';
import {
  MAX_DELETES_PER_REQUEST, MAX_DOWNLOADS_PER_REQUEST, MAX_LIST_LIMIT, MAX_LIST_OBJECTS, MAX_LIST_PAGES, MAX_UPLOADS_PER_REQUEST, RegisterKeyResponse,
} from '../../../protocol/repo-schemas.js';
import type { z } from 'zod';
import { routePath, WIRE_ROUTES, type RouteAnswer, type WireRouteId } from '../../../protocol/routes.js';
import { tokenSubject, type ApiClient, type CallOptions as ApiCallOptions } from '../../http.js';
import { isRetryableApiFailure, isRetryableStorageStatus } from './retry-policy.js';
import { parseContentRange } from './content-range.js';
import { exchange, type Agents } from './transport.js';
import { RequestSigner } from './signing.js';
import { ClientError } from '../../errors.js';
import {
  RepoObjectMissing, type CallOptions, type DirectRequest, type LockRequest, type ObjectInfo, type ObjectName, type ObjectType, type Range, type RepoLock,
  type RepoStatus, type RepoStore, type UndeleteScope,
} from './store.js';

export interface HttpRepoStoreOptions {
  /** Attempts per call for retryable failures (retry-policy.ts: 503, 507, 429, network; the API's only for retry-safe calls); default 6. */
  attempts?: number;
  /** First backoff in ms (doubled each time, with jitter, at most 10 s); default 250. */
  backoffMs?: number;
  /** Idle socket timeout in ms; default 60 s. */
  idleTimeoutMs?: number;
  maxSockets?: number;
  /** A download URL is used until this long before its expiry; default 5 minutes. */
  urlMarginMs?: number;
  /** For tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

/** The repository routes a signed request goes to (docs/protocol.md "Signed requests"). */
type SignedRouteId = 'repo.createConfig' | 'repo.uploads' | 'repo.delete' | 'repo.undelete' | 'repo.lock' | 'repo.refresh' | 'repo.unlock';
const MAX_BACKOFF_MS = 10_000;
/** Brokered upload URLs kept before the expired ones are swept out. */
const MAX_BROKERED = 256;
/** Largest body accepted for a GET (a pack object is at most 64 MiB plus age overhead). */
const MAX_GET_BYTES = 80 * 1024 * 1024;
/** Bodies at least this long are received into one buffer of their declared length. */
const BIG_BODY = 1024 * 1024;
/** Buffers of big bodies handed back (recycle) kept for the next ones: packs in flight plus one. */
const KEEP_BODIES = 2;

const nameOf = (n: ObjectName) => `${n.type}/${n.id}`;
const badListing = (what: string) => new ClientError('bad-answer', `server answered a listing with ${what}`, { from: 'server' });
/** A Uint8Array over the same memory (`new Uint8Array(buffer)` would copy it). */
const view = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then((v) => {
      signal.removeEventListener('abort', onAbort);
      resolve(v);
    }, (e: unknown) => {
      signal.removeEventListener('abort', onAbort);
      reject(e as Error);
    });
  });
}

const defaultSleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve, reject) => {
  if (signal?.aborted) {
    reject(signal.reason as Error);
    return;
  }
  const t = setTimeout(() => {
    signal?.removeEventListener('abort', onAbort);
    resolve();
  }, ms);
  const onAbort = () => {
    clearTimeout(t);
    reject(signal!.reason as Error);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
});

/** A failure worth another try, with the server's retry-after when it gave one. */
class Retryable extends Error {
  constructor(message: string, readonly retryAfterMs?: number, options?: ErrorOptions) {
    super(message, options);
  }
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** Collects keys asked for in one tick and fetches them with one call per `max` keys. */
class Batcher<V> {
  private pending = new Map<string, { resolve: (v: V) => void; reject: (e: unknown) => void }[]>();
  private scheduled = false;

  constructor(private readonly max: number, private readonly fetchMany: (keys: string[]) => Promise<Map<string, V>>) {}

  get(key: string): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      const waiting = this.pending.get(key);
      if (waiting) waiting.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = [...this.pending];
    this.pending = new Map();
    for (let i = 0; i < all.length; i += this.max) {
      const batch = all.slice(i, i + this.max);
      this.fetchMany(batch.map(([k]) => k)).then((got) => {
        for (const [k, waiters] of batch) {
          const v = got.get(k);
          for (const w of waiters) {
            if (v === undefined) w.reject(new ClientError('bad-answer', 'server answered no url for an object', { from: 'server' }));
            else w.resolve(v);
          }
        }
      }, (e: unknown) => {
        for (const [, waiters] of batch) for (const w of waiters) w.reject(e);
      });
    }
  }
}

/** A few big buffers kept for reuse (the largest ones first). */
class BodyRecycler {
  private readonly free: Buffer[] = [];
  constructor(private readonly keep: number) {}

  take(size: number): Buffer | undefined {
    const i = this.free.findIndex((b) => b.length >= size);
    return i < 0 ? undefined : this.free.splice(i, 1)[0];
  }

  give(b: Buffer): void {
    if (this.free.length < this.keep) this.free.push(b);
    else {
      const i = this.free.findIndex((f) => f.length < b.length);
      if (i >= 0) this.free[i] = b;
    }
  }
}

interface UploadUrl {
  url: string;
  headers: Record<string, string>;
}

/** An upload URL handed out, kept for a put of the same object and size: the server reserved its bytes once. */
interface BrokeredUpload extends UploadUrl {
  size: number;
  expiresAt: number;
}

export class HttpRepoStore implements RepoStore {
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly timeout: number;
  private readonly margin: number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly now: () => number;
  private readonly agents: Agents;
  private readonly downloadUrls = new Map<string, { url: string; expiresAt: number }>();
  /** Sizes of the puts waiting for their upload URLs, by name. */
  private readonly putSizes = new Map<string, number>();
  /**
   * Upload URLs handed out by uploadRequest (a blob worker's one direct attempt), by name: when that attempt fails,
   * the put that follows sends the same bytes to the same URL instead of asking for another one, which would
   * reserve the object's bytes of the quota a second time. Dropped once the put is done.
   */
  private readonly brokered = new Map<string, BrokeredUpload>();
  private readonly uploadBatcher: Batcher<BrokeredUpload>;
  private readonly downloadBatcher: Batcher<{ url: string; expiresAt: number }>;
  private readonly bodies = new BodyRecycler(KEEP_BODIES);
  /** K's signer of mutating requests (signWith), and what the server last said of the repository. */
  private signer: RequestSigner | undefined;
  private repositoryId = '';
  private registeredKey: string | null | undefined;

  constructor(private readonly api: ApiClient, options: HttpRepoStoreOptions = {}) {
    this.attempts = options.attempts ?? 6;
    this.backoffMs = options.backoffMs ?? 250;
    this.timeout = options.idleTimeoutMs ?? 60_000;
    this.margin = options.urlMarginMs ?? 5 * 60_000;
    this.sleep = options.sleep ?? defaultSleep;
    this.now = options.now ?? Date.now;
    this.agents = keepAliveAgents({ maxSockets: options.maxSockets ?? 16 });
    this.uploadBatcher = new Batcher(MAX_UPLOADS_PER_REQUEST, async (keys) => {
      const objects = keys.map((k) => {
        // keys of puts: an object type other than config (createConfig has its own route), and an id
        const [type, id] = k.split('/') as [Exclude<ObjectType, 'config'>, string];
        return { type, id, size: this.putSizes.get(k) ?? 0 };
      });
      const answer = await this.signed('repo.uploads', { body: { objects } });
      const expiresAt = Date.parse(answer.expiresAt);
      const sizes = new Map(objects.map((o) => [`${o.type}/${o.id}`, o.size]));
      return new Map(answer.uploads.map((u) => {
        const key = `${u.type}/${u.id}`;
        return [key, { url: u.url, headers: u.headers, size: sizes.get(key) ?? 0, expiresAt }];
      }));
    });
    this.downloadBatcher = new Batcher(MAX_DOWNLOADS_PER_REQUEST, async (keys) => {
      const objects = keys.map((k) => {
        const [type, id] = k.split('/') as [ObjectType, string];
        return { type, id };
      });
      const answer = await this.api.call('repo.downloads', { body: { objects } });
      const expiresAt = Date.parse(answer.expiresAt);
      return new Map(answer.downloads.map((d) => [`${d.type}/${d.id}`, { url: d.url, expiresAt }]));
    });
  }

  recycle(body: ArrayBuffer): void {
    if (body.byteLength >= BIG_BODY) this.bodies.give(Buffer.from(body));
  }

  /** Releases idle connections. */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /**
   * Runs `attempt` until it succeeds, fails for good, or the attempts are spent. `safe`: the call may be made
   * again after a failure whose outcome is unknown (the API not reached, or its answer lost).
   */
  private async retrying<T>(signal: AbortSignal | undefined, attempt: () => Promise<T>, safe: boolean): Promise<T> {
    for (let i = 1; ; i++) {
      if (signal?.aborted) throw signal.reason;
      try {
        return await abortable(attempt(), signal);
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        const retryable = e instanceof Retryable || isRetryableApiFailure(e, safe);
        if (!retryable || i >= this.attempts) {
          if (e instanceof Retryable) throw new ClientError('unreachable', e.message, {}, { cause: e });
          throw e;
        }
        const backoff = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2 ** (i - 1)) * (0.5 + Math.random() / 2);
        await this.sleep(e instanceof Retryable && e.retryAfterMs !== undefined ? Math.max(e.retryAfterMs, backoff) : backoff, signal);
      }
    }
  }

  /** An API call; `safe` as in `retrying` (false: only answers that say nothing was done, like 503, are retried). */
  private api_<T>(signal: AbortSignal | undefined, call: () => Promise<T>, safe: boolean): Promise<T> {
    return this.retrying(signal, call, safe);
  }

  /**
   * One request to a presigned URL through the one transport (transport.ts): network failures, short bodies and the
   * retryable statuses (retry-policy.ts) are Retryable; a body over MAX_GET_BYTES or a URL that is not http(s) is a bad answer.
   */
  private async send(url: string, method: 'GET' | 'PUT', headers: Record<string, string>, body: Uint8Array | undefined, signal?: AbortSignal): Promise<Answer> {
    const a = await exchange(url, {
      method, headers, ...(body !== undefined ? { body } : {}), agents: this.agents, timeoutMs: this.timeout, maxBytes: MAX_GET_BYTES, ...(signal ? { signal } : {}),
      // A big body of a declared length is received straight into one buffer (a reused one when there is one),
      // not gathered in pieces and joined: half the memory, and no fresh pages to fault in.
      into: (declared) => (method === 'GET' && declared !== undefined && declared >= BIG_BODY && declared <= MAX_GET_BYTES
        ? this.bodies.take(declared)?.subarray(0, declared) ?? Buffer.allocUnsafeSlow(declared) : undefined),
    });
    if (signal?.aborted) throw signal.reason;
    if (a.miss !== undefined) {
      if (a.why === 'url') throw new ClientError('bad-answer', `server answered an unusable url: ${a.miss}`, { from: 'server' });
      if (a.why === 'too-long') throw new ClientError('bad-answer', 'storage answered more than an object can hold', { from: 'storage' });
      throw new Retryable(a.miss);
    }
    if (isRetryableStorageStatus(a.status)) {
      const after = Number(a.headers['retry-after']);
      throw new Retryable(`storage answered ${a.status}`, Number.isFinite(after) && after >= 0 ? Math.min(after, 60) * 1000 : undefined);
    }
    return a;
  }

  private static expired(a: Answer): boolean {
    return a.status === 403 && /Request has expired/.test(a.body.toString('utf8'));
  }

  private static storageError(a: Answer, what: string): ClientError {
    const code = /<Code>([A-Za-z]+)<\/Code>/.exec(a.body.toString('utf8'))?.[1];
    return new ClientError('bad-answer', `storage refused to ${what}: ${a.status}${code ? ` ${code}` : ''}`, { from: 'storage', status: a.status });
  }

  async status(options?: CallOptions): Promise<RepoStatus> {
    const status = await this.api_(options?.signal, () => this.api.call('repo.status'), true);
    this.repositoryId = status.repositoryId ?? '';
    this.registeredKey = status.signingKey;
    return {
      repositoryId: status.repositoryId, usedBytes: status.usedBytes, quotaBytes: status.quotaBytes,
      ...(status.signingKey !== undefined ? { signingKey: status.signingKey } : {}),
      ...(status.locks !== undefined ? { locks: status.locks.map((l) => ({ ...HttpRepoStore.lockOf(l), ...(l.description !== undefined ? { description: l.description } : {}) })) } : {}),
    };
  }

  /** Signs every mutating request from now on with K's signing key (docs/protocol.md "Signed requests"). */
  signWith(backupKey: Uint8Array): void {
    this.signer = new RequestSigner(backupKey, () => this.now() + this.clockOffset);
  }

  /** How far the server's clock is ahead of this one, learnt from a `signature-expired` answer. */
  private clockOffset = 0;

  /**
   * Once K opened the repository: registers K's signing key (create-only) when the repository has none yet (one
   * made before keys were registered); when another key is registered, every change is refused with a clear error
   * (reads go on).
   */
  async registerSigningKey(options?: CallOptions): Promise<void> {
    const signer = this.signer;
    if (!signer) throw new ClientError('usage', 'no backup key to sign with');
    if (this.registeredKey === undefined) await this.status(options);
    if (this.registeredKey === null) {
      try {
        await this.api_(options?.signal, () => this.signed('repo.createConfig', { body: { signingKey: signer.publicKey } }, RegisterKeyResponse), true);
        this.registeredKey = signer.publicKey;
      } catch (e) {
        if (!isBkvError(e, 'signing-key-mismatch')) throw e;
        await this.status(options);
      }
    }
  }

  /**
   * A mutating API call, signed afresh (a new nonce) each time it is sent. A signature the server found expired
   * (this clock is off) is made again once by the server's clock (it says its time in the answer): the server did
   * nothing with the first.
   */
  private async signed<Id extends SignedRouteId>(id: Id, options: ApiCallOptions<Id>): Promise<RouteAnswer<Id>>;
  /** `answer`: the schema of a variant's answer other than the route's (createConfig registering a key only). */
  private async signed<Id extends SignedRouteId, S extends z.ZodType>(id: Id, options: ApiCallOptions<Id>, answer: S): Promise<z.infer<S>>;
  private async signed<Id extends SignedRouteId>(id: Id, options: ApiCallOptions<Id>, answer?: z.ZodType): Promise<unknown> {
    try {
      return await this.signedOnce(id, options, answer);
    } catch (e) {
      const serverTime = isBkvError(e, 'signature-expired') ? e.wireDetails('signature-expired')?.serverTime : undefined;
      const at = serverTime === undefined ? Number.NaN : Date.parse(serverTime);
      if (!Number.isFinite(at)) throw e;
      this.clockOffset = at - this.now();
      return this.signedOnce(id, options, answer);
    }
  }

  private async signedOnce<Id extends SignedRouteId>(id: Id, options: ApiCallOptions<Id>, answer?: z.ZodType): Promise<unknown> {
    const signer = this.signer;
    if (!signer) throw new ClientError('usage', 'changing the repository needs the backup key (open it with K)');
    if (typeof this.registeredKey === 'string' && this.registeredKey !== signer.publicKey) {
      throw new ClientError('wrong-key', 'another signing key is registered for this repository, not this backup key\'s: every change is refused (docs/threat-model.md)');
    }
    // the signature covers what ApiClient.call sends: the route's method, its path (routePath), the JSON body
    const body = (options as { body?: unknown }).body;
    const method = WIRE_ROUTES[id].method;
    const path = routePath(id, options);
    const headers = {
      'bkv-signature': signer.header({
        account: tokenSubject(await this.api.token()), repositoryId: this.repositoryId, routeId: id, method, path, body: body === undefined ? undefined : JSON.stringify(body),
      }),
    };
    if (answer !== undefined) return this.api.request(method, path, body, answer, headers);
    const call = this.api.call.bind(this.api) as (id: WireRouteId, options: unknown) => Promise<unknown>;
    return call(id, { ...options, headers });
  }

  /**
   * The `Bkv-Signature` header of `DELETE /v1/vault?backups=true` (the repository's part of deleting the vault),
   * signed now; undefined without a signer.
   */
  async deleteAllSignature(): Promise<Record<string, string> | undefined> {
    const signer = this.signer;
    if (!signer) return undefined;
    if (this.registeredKey === undefined) await this.status();
    return {
      'bkv-signature': signer.header({
        account: tokenSubject(await this.api.token()), repositoryId: this.repositoryId, routeId: 'vault.delete', method: WIRE_ROUTES['vault.delete'].method,
        path: WIRE_ROUTES['vault.delete'].path, body: undefined,
      }),
    };
  }

  private async upload(name: string, body: Uint8Array, getUrl: () => Promise<UploadUrl>, signal?: AbortSignal): Promise<void> {
    // an upload URL is asked for again, and a write-once object PUT again, without harm
    let target = await this.api_(signal, getUrl, true);
    await this.retrying(signal, async () => {
      let a = await this.send(target.url, 'PUT', target.headers, body, signal);
      if (HttpRepoStore.expired(a)) {
        target = await getUrl();
        a = await this.send(target.url, 'PUT', target.headers, body, signal);
      }
      if (a.status === 412) await this.alreadyStored(name, body, signal);
      else if (a.status !== 200) throw HttpRepoStore.storageError(a, `store ${name}`);
    }, true);
  }

  /**
   * Upload URLs are write-once (`If-None-Match: *`): a 412 says an object is already there, usually this very
   * upload whose answer was lost before a retry. It counts as stored only if the stored bytes are exactly these;
   * other bytes are a conflict (memory-store.ts does the same), never silently accepted.
   */
  private async alreadyStored(name: string, body: Uint8Array, signal?: AbortSignal): Promise<void> {
    let a = await this.send(await this.downloadUrl(name, false), 'GET', {}, undefined, signal);
    if (HttpRepoStore.expired(a)) a = await this.send(await this.downloadUrl(name, true), 'GET', {}, undefined, signal);
    if (a.status !== 200) throw HttpRepoStore.storageError(a, `read back ${name}`);
    if (!Buffer.from(body.buffer, body.byteOffset, body.byteLength).equals(a.body)) throw new BkvError('conflict', `${name} exists with other bytes`);
  }

  async createConfig(repositoryId: string, body: Uint8Array, options?: CallOptions): Promise<void> {
    await this.upload(`config/${repositoryId}`, body, async () => {
      const signingKey = this.signer?.publicKey;
      if (signingKey === undefined) throw new ClientError('usage', 'creating a repository needs the backup key');
      this.repositoryId = repositoryId;
      const put = await this.signed('repo.createConfig', { body: { repositoryId, size: body.length, signingKey } });
      this.registeredKey = signingKey;
      return { url: put.url, headers: put.headers };
    }, options?.signal);
  }

  async put(name: ObjectName, body: Uint8Array, options?: CallOptions): Promise<void> {
    const key = nameOf(name);
    const had = this.brokered.get(key);
    this.brokered.delete(key);
    // the URL a direct attempt had, while it works: its bytes are reserved already
    let first: UploadUrl | undefined = had !== undefined && had.size === body.length && had.expiresAt - this.margin > this.now() ? had : undefined;
    const getUrl = () => {
      const got = first;
      first = undefined;
      return got !== undefined ? Promise.resolve(got) : this.presignPut(key, body.length);
    };
    await this.upload(key, body, getUrl, options?.signal);
  }

  private presignPut(key: string, size: number): Promise<BrokeredUpload> {
    this.putSizes.set(key, size);
    return this.uploadBatcher.get(key).finally(() => this.putSizes.delete(key));
  }

  async uploadRequest(name: ObjectName, size: number, options?: CallOptions): Promise<DirectRequest> {
    const key = nameOf(name);
    const got = await this.api_(options?.signal, () => this.presignPut(key, size), true);
    // bounded: a caller that never says `uploaded` leaves at most the URLs still valid
    if (this.brokered.size >= MAX_BROKERED) for (const [k, u] of this.brokered) if (u.expiresAt - this.margin <= this.now()) this.brokered.delete(k);
    this.brokered.set(key, got);
    return { url: got.url, headers: got.headers };
  }

  /** A direct upload succeeded: its URL is not needed again (pack-writer.ts). */
  uploaded(name: ObjectName): void {
    this.brokered.delete(nameOf(name));
  }

  async downloadRequest(name: ObjectName, options?: CallOptions): Promise<DirectRequest> {
    const key = nameOf(name);
    const cached = this.downloadUrls.get(key);
    if (cached && cached.expiresAt - this.margin > this.now()) return { url: cached.url };
    return { url: await this.api_(options?.signal, () => this.downloadUrl(key, false), true) };
  }

  private async downloadUrl(key: string, fresh: boolean): Promise<string> {
    const cached = this.downloadUrls.get(key);
    if (!fresh && cached && cached.expiresAt - this.margin > this.now()) return cached.url;
    const got = await this.downloadBatcher.get(key);
    this.downloadUrls.set(key, got);
    return got.url;
  }

  async get(name: ObjectName, range?: Range, options?: CallOptions): Promise<Uint8Array> {
    const key = nameOf(name);
    const signal = options?.signal;
    if (range && (!Number.isSafeInteger(range.offset) || !Number.isSafeInteger(range.length) || range.offset < 0 || range.length < 0)) {
      throw new ClientError('usage', 'range: offset and length must be integers of 0 or more');
    }
    if (range?.length === 0) {
      await this.head(key, signal);
      return new Uint8Array(0);
    }
    const headers: Record<string, string> = range ? { range: `bytes=${range.offset}-${range.offset + range.length - 1}` } : {};
    return this.retrying(signal, async () => {
      let a = await this.send(await this.downloadUrl(key, false), 'GET', headers, undefined, signal);
      if (HttpRepoStore.expired(a)) a = await this.send(await this.downloadUrl(key, true), 'GET', headers, undefined, signal);
      if (a.status === 404) throw new RepoObjectMissing({ type: name.type, id: name.id });
      if (a.status === 416 && range) return new Uint8Array(0); // the range starts at or after the end
      const declared = a.headers['content-length'];
      if (declared !== undefined && Number(declared) !== a.body.length) throw new Retryable('storage sent a short body');
      if (a.status === 200) return view(range ? a.body.subarray(range.offset, range.offset + range.length) : a.body);
      if (a.status === 206 && range) {
        const r = parseContentRange(a.headers['content-range']);
        const want = Math.min(range.length, (r?.total ?? Infinity) - range.offset);
        if (r === undefined || r.first !== range.offset || r.last - r.first + 1 !== a.body.length || a.body.length !== want) {
          throw new ClientError('bad-answer', `storage answered another range than asked for ${key}`, { from: 'storage' });
        }
        return view(a.body);
      }
      throw HttpRepoStore.storageError(a, `read ${key}`);
    }, true);
  }

  /** Whether the object exists (a 1-byte ranged read); RepoObjectMissing when it does not. */
  private async head(key: string, signal?: AbortSignal): Promise<void> {
    const [type, id] = key.split('/') as [ObjectType, string];
    await this.get({ type, id }, { offset: 0, length: 1 }, signal ? { signal } : {});
  }

  /**
   * Every object of `type`, page by page. The server's answer is bounded before it is used (docs/repository.md
   * "Limits"): ids must rise strictly across the whole listing (so no page and no `next` can repeat), a page holds
   * at most MAX_LIST_LIMIT objects, and a listing ends within MAX_LIST_OBJECTS objects and MAX_LIST_PAGES pages;
   * anything else is a bad answer, never an endless loop.
   */
  async *list(type: ObjectType, options?: CallOptions): AsyncIterable<ObjectInfo> {
    let after: string | undefined;
    let objects = 0;
    for (let pages = 1; ; pages++) {
      const asked = after;
      const query = { type, ...(after !== undefined ? { after } : {}) };
      const page = await this.api_(options?.signal, () => this.api.call('repo.list', { query }), true);
      if (page.objects.length > MAX_LIST_LIMIT) throw badListing(`a page of ${page.objects.length} objects (at most ${MAX_LIST_LIMIT})`);
      objects += page.objects.length;
      if (objects > MAX_LIST_OBJECTS) throw badListing(`more than ${MAX_LIST_OBJECTS} objects`);
      for (const o of page.objects) {
        if (o.type !== type) throw badListing(`a ${o.type} object in a listing of ${type}`);
        if (after !== undefined && o.id <= after) throw badListing('ids that do not rise (a repeated or reordered page)');
        after = o.id;
      }
      for (const o of page.objects) yield { type: o.type, id: o.id, size: o.size };
      if (page.next === undefined) return;
      if ((asked !== undefined && page.next <= asked) || (after !== undefined && page.next < after)) throw badListing('a next that does not move on');
      if (pages >= MAX_LIST_PAGES) throw badListing(`more than ${MAX_LIST_PAGES} pages`);
      after = page.next;
    }
  }

  async delete(names: readonly ObjectName[], lockId: string, options?: CallOptions): Promise<{ deleted: ObjectName[]; missing: ObjectName[] }> {
    const deleted: ObjectName[] = [];
    const missing: ObjectName[] = [];
    const unique = [...new Map(names.map((n) => [nameOf(n), { type: n.type, id: n.id }])).values()];
    for (let i = 0; i < unique.length; i += MAX_DELETES_PER_REQUEST) {
      const objects = unique.slice(i, i + MAX_DELETES_PER_REQUEST);
      const answer = await this.api_(options?.signal, () => this.signed('repo.delete', { body: { lockId, objects } }), false);
      deleted.push(...answer.deleted);
      missing.push(...answer.missing);
      for (const o of answer.deleted) this.downloadUrls.delete(nameOf(o));
    }
    return { deleted, missing };
  }

  async undelete(since: number, lockId: string, after?: string, options?: CallOptions, scope: UndeleteScope = {}): Promise<{ restored: ObjectName[]; next?: string }> {
    const body = {
      lockId, since: new Date(since).toISOString(), ...(after !== undefined ? { after } : {}),
      ...(scope.type !== undefined ? { type: scope.type } : {}), ...(scope.objects !== undefined ? { objects: scope.objects.map((o) => ({ type: o.type, id: o.id })) } : {}),
    };
    // retry-safe: a second try of a page restores nothing twice (what is back is no longer deleted)
    const answer = await this.api_(options?.signal, () => this.signed('repo.undelete', { body }), true);
    // a config brought back is the repository's id again (the server records it): later requests are signed with it
    const config = answer.restored.find((o) => o.type === 'config');
    if (config !== undefined && this.repositoryId === '') this.repositoryId = config.id;
    return { restored: answer.restored, ...(answer.next !== undefined ? { next: answer.next } : {}) };
  }

  private static lockOf(a: { lockId: string; exclusive: boolean; expiresAt: string }): RepoLock {
    return { lockId: a.lockId, exclusive: a.exclusive, expiresAt: Date.parse(a.expiresAt) };
  }

  async lock(request: LockRequest, options?: CallOptions): Promise<RepoLock> {
    const body = {
      exclusive: request.exclusive, ...(request.ttlSeconds !== undefined ? { ttlSeconds: request.ttlSeconds } : {}),
      ...(request.description !== undefined ? { description: request.description } : {}),
    };
    return HttpRepoStore.lockOf(await this.api_(options?.signal, () => this.signed('repo.lock', { body }), false));
  }

  async refresh(lockId: string, options?: CallOptions): Promise<RepoLock> {
    return HttpRepoStore.lockOf(await this.api_(options?.signal, () => this.signed('repo.refresh', { params: { lockId } }), true));
  }

  async unlock(lockId: string, options?: CallOptions): Promise<void> {
    await this.api_(options?.signal, () => this.signed('repo.unlock', { params: { lockId } }), false);
  }
}
