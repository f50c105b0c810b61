// Where the local OpenID provider keeps its state (grants, sessions, refresh tokens, codes…): one JSON file per
// oidc-provider model under `<data dir>/oidc/`, mode 0600 in the 0700 data dir, so a sign-in survives a restart of
// `npm start` as it would with a real provider. This is oidc-provider's documented adapter interface (upsert,
// find, findByUid, findByUserCode, consume, destroy, revokeByGrantId); expiry is by the `expiresIn` each upsert
// gives. Writes go to a temporary file renamed into place, one at a time per model, so a crash never leaves half
// a file; the runtime is the only writer.

import { mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  /** Epoch milliseconds, or undefined for no expiry. */
  expiresAt?: number;
}

const MODEL_NAME = /^[A-Za-z]{1,64}$/;

/** A factory for oidc-provider's `adapter` setting: one FileAdapter per model name, sharing `dir`. */
export function fileAdapterFactory(dir: string, now: () => number = Date.now): new (name: string) => Adapter {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stores = new Map<string, FileModelStore>();
  return class implements Adapter {
    private readonly store: FileModelStore;

    constructor(name: string) {
      if (!MODEL_NAME.test(name)) throw new Error(`bad oidc model name ${name}`);
      let store = stores.get(name);
      if (!store) stores.set(name, (store = new FileModelStore(join(dir, `${name}.json`), now)));
      this.store = store;
    }

    upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      return this.store.set(id, { payload, ...(expiresIn > 0 ? { expiresAt: now() + expiresIn * 1000 } : {}) });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return this.store.get(id)?.payload;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.store.findBy((p) => p.uid === uid)?.payload;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.store.findBy((p) => p.userCode === userCode)?.payload;
    }

    async consume(id: string): Promise<void> {
      const entry = this.store.get(id);
      if (entry) await this.store.set(id, { ...entry, payload: { ...entry.payload, consumed: Math.floor(now() / 1000) } });
    }

    destroy(id: string): Promise<void> {
      return this.store.delete((key) => key === id);
    }

    revokeByGrantId(grantId: string): Promise<void> {
      return this.store.delete((_key, entry) => entry.payload.grantId === grantId);
    }
  };
}

/** The entries of one model, in memory and in `<dir>/<name>.json`. */
class FileModelStore {
  private writing: Promise<void> = Promise.resolve();
  private readonly entries: Map<string, Entry>;

  constructor(private readonly path: string, private readonly now: () => number) {
    let loaded: Record<string, Entry> = {};
    try {
      loaded = JSON.parse(readFileSync(path, 'utf8')) as Record<string, Entry>;
    } catch {
      // no file yet (or an unreadable one): start empty; sign-ins made before are lost, nothing else
    }
    this.entries = new Map(Object.entries(loaded));
  }

  get(id: string): Entry | undefined {
    const entry = this.entries.get(id);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= this.now()) return undefined;
    return entry;
  }

  findBy(match: (payload: AdapterPayload) => boolean): Entry | undefined {
    for (const [id, entry] of this.entries) if (match(entry.payload) && this.get(id)) return entry;
    return undefined;
  }

  set(id: string, entry: Entry): Promise<void> {
    this.entries.set(id, entry);
    return this.save();
  }

  delete(match: (key: string, entry: Entry) => boolean): Promise<void> {
    for (const [key, entry] of this.entries) if (match(key, entry)) this.entries.delete(key);
    return this.save();
  }

  /** Writes the live entries (expired ones are dropped), after any write already under way. */
  private save(): Promise<void> {
    const write = async () => {
      const t = this.now();
      const live = Object.fromEntries([...this.entries].filter(([, e]) => e.expiresAt === undefined || e.expiresAt > t));
      const tmp = `${this.path}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(live), { mode: 0o600 });
      await rename(tmp, this.path);
    };
    this.writing = this.writing.then(write, write);
    return this.writing;
  }
}
