// The local cache of a repository (under `$BKV_HOME/cache/<repository id>/`): index and snapshot objects and
// whole tree packs, stored exactly as downloaded (encrypted age files, so no plaintext ever reaches the disk),
// so an unchanged backup, `ls` and `snapshots` need not download them again. Objects are immutable, so a cached
// copy is valid for as long as the object exists; entries for objects the repository no longer lists are
// removed (`retain`), except snapshots: those are moved to `gone/` and kept, the evidence of a server that hides
// them (this device's own forget removes its copies itself). Writes go to a temporary name and are renamed into place.

import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ObjectName, ObjectType } from './store.js';

export class RepoCache {
  constructor(readonly dir: string) {}

  private path(name: ObjectName): string {
    return join(this.dir, name.type, name.id);
  }

  get(name: ObjectName): Uint8Array | undefined {
    try {
      return new Uint8Array(readFileSync(this.path(name)));
    } catch {
      return undefined;
    }
  }

  put(name: ObjectName, body: Uint8Array): void {
    try {
      const dir = join(this.dir, name.type);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const tmp = join(dir, `.tmp-${randomBytes(8).toString('hex')}`);
      writeFileSync(tmp, body, { mode: 0o600 });
      renameSync(tmp, this.path(name));
    } catch {
      // a cache that cannot be written only costs downloads
    }
  }

  delete(name: ObjectName): void {
    rmSync(this.path(name), { force: true });
  }

  /**
   * Removes cached objects of `type` whose ids are not in `live`; with `quarantine` they are moved to
   * `gone/<type>/` instead (never deleted): the evidence of a snapshot a server hides (docs/repository.md "Rollback").
   */
  retain(type: ObjectType, live: Set<string>, options: { quarantine?: boolean } = {}): void {
    let names: string[];
    try {
      names = readdirSync(join(this.dir, type));
    } catch {
      return;
    }
    for (const n of names) {
      if (live.has(n)) continue;
      if (options.quarantine && !n.startsWith('.tmp-')) {
        try {
          mkdirSync(join(this.dir, 'gone', type), { recursive: true, mode: 0o700 });
          renameSync(join(this.dir, type, n), join(this.dir, 'gone', type, n));
          continue;
        } catch {
          continue; // kept where it is rather than lost
        }
      }
      rmSync(join(this.dir, type, n), { force: true });
    }
  }

  /** A quarantined object (see retain), if kept. */
  gone(name: ObjectName): Uint8Array | undefined {
    try {
      return new Uint8Array(readFileSync(join(this.dir, 'gone', name.type, name.id)));
    } catch {
      return undefined;
    }
  }
}
