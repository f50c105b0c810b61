// The locks this device's commands hold, on disk (`$BKV_HOME/locks/<lock id>.json`, 0600: lock id, process id,
// host, kind, expiry), so that `bkv unlock` can remove the lock of a command that was killed on this host (kill -9,
// a crash, a closed laptop) instead of everyone waiting for its lease to run out. Only the device that took a lock
// knows its id: no new power for whoever holds a token, and no server route to list or break others' locks.

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { LockRequest, RepoLock, RepoStore } from './store.js';

export interface JournaledLock {
  lockId: string;
  pid: number;
  host: string;
  exclusive: boolean;
  /** Epoch milliseconds, as the lock was taken (refreshes extend it). */
  expiresAt: number;
}

const LOCK_FILE = /^[A-Za-z0-9_-]{1,128}\.json$/;

function dir(home: string): string {
  return join(home, 'locks');
}

/** `store`, recording every lock it takes under `home` until it is released. */
export function journaledStore<S extends RepoStore>(store: S, home: string): S {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'lock') {
        return async (req: LockRequest, ...rest: unknown[]): Promise<RepoLock> => {
          const lock = await (target.lock as (...a: unknown[]) => Promise<RepoLock>).call(target, req, ...rest);
          if (LOCK_FILE.test(`${lock.lockId}.json`)) {
            mkdirSync(dir(home), { recursive: true, mode: 0o700 });
            const entry: JournaledLock = { lockId: lock.lockId, pid: process.pid, host: hostname(), exclusive: lock.exclusive, expiresAt: lock.expiresAt };
            writeFileSync(join(dir(home), `${lock.lockId}.json`), JSON.stringify(entry), { mode: 0o600 });
          }
          return lock;
        };
      }
      if (prop === 'unlock') {
        return async (lockId: string, ...rest: unknown[]): Promise<void> => {
          await (target.unlock as (...a: unknown[]) => Promise<void>).call(target, lockId, ...rest);
          if (LOCK_FILE.test(`${lockId}.json`)) rmSync(join(dir(home), `${lockId}.json`), { force: true });
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The locks recorded under `home` (unreadable entries are skipped). */
export function journaledLocks(home: string): JournaledLock[] {
  let names: string[];
  try {
    names = readdirSync(dir(home)).filter((n) => LOCK_FILE.test(n));
  } catch {
    return [];
  }
  const out: JournaledLock[] = [];
  for (const n of names) {
    try {
      const e = JSON.parse(readFileSync(join(dir(home), n), 'utf8')) as JournaledLock;
      if (typeof e.lockId === 'string' && Number.isSafeInteger(e.pid) && typeof e.host === 'string') out.push(e);
    } catch {
      // a torn write: nothing to remove it with
    }
  }
  return out;
}

/** Whether process `pid` runs on this host (signal 0: EPERM means it exists under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface UnlockResult {
  removed: JournaledLock[];
  /** Held by a command still running here, or taken on another host with this home. */
  kept: { lock: JournaledLock; why: string }[];
}

/**
 * Removes the recorded locks whose command is gone: its process no longer runs on this host, or its lease ran out.
 * A lock the server no longer has is just forgotten.
 */
export async function unlockStale(store: RepoStore, home: string, alive: (pid: number) => boolean = processAlive, now = Date.now()): Promise<UnlockResult> {
  const result: UnlockResult = { removed: [], kept: [] };
  for (const lock of journaledLocks(home)) {
    const expired = lock.expiresAt <= now;
    if (!expired && lock.host !== hostname()) {
      result.kept.push({ lock, why: `taken on ${lock.host}: run bkv unlock there, or wait until its lease ends` });
      continue;
    }
    if (!expired && alive(lock.pid)) {
      result.kept.push({ lock, why: `process ${lock.pid} still runs it` });
      continue;
    }
    await store.unlock(lock.lockId).catch(() => undefined);
    rmSync(join(dir(home), `${lock.lockId}.json`), { force: true });
    result.removed.push(lock);
  }
  return result;
}
