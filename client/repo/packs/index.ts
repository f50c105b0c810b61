// The repository index (docs/repository.md "Index"): the union of every live `index/*` object, minus the ones
// a live index supersedes; maps blob id → where it is stored (pack, offset, length, plaintext length,
// compression) and pack id → its size and header hash.

import { beyondLimits, maxBlobBytes } from '../limits.js';
import { damaged } from '../objects.js';

export type BlobType = 'data' | 'tree';

export interface BlobEntry {
  id: string;
  o: number;
  l: number;
  u: number;
  z: 0 | 1;
}

export interface PackEntry {
  id: string;
  t: BlobType;
  size: number;
  h: string;
  blobs: BlobEntry[];
}

export interface IndexObject {
  version: 1;
  id: string;
  supersedes: string[];
  packs: PackEntry[];
}

export interface BlobLocation {
  pack: PackEntry;
  blob: BlobEntry;
}

const HEX64 = /^[0-9a-f]{64}$/;

function count(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw damaged('index holds a bad number');
  return v;
}

function hex(v: unknown): string {
  if (typeof v !== 'string' || !HEX64.test(v)) throw damaged('index holds a bad id');
  return v;
}

/** Validates a decrypted index object (its id was checked by parseJsonObject). */
export function toIndexObject(obj: Record<string, unknown>): IndexObject {
  if (!Array.isArray(obj.packs) || !Array.isArray(obj.supersedes)) throw damaged(`index/${String(obj.id)} is malformed`);
  return {
    version: 1, id: hex(obj.id), supersedes: (obj.supersedes as unknown[]).map(hex),
    packs: (obj.packs as Record<string, unknown>[]).map((p) => {
      if (p.t !== 'data' && p.t !== 'tree') throw damaged('index holds a bad pack type');
      if (!Array.isArray(p.blobs)) throw damaged('index pack without blobs');
      const t = p.t;
      return {
        id: hex(p.id), t, size: count(p.size), h: hex(p.h),
        blobs: (p.blobs as Record<string, unknown>[]).map((b) => {
          const z = b.z;
          if (z !== 0 && z !== 1) throw damaged('index holds a bad compression flag');
          const u = count(b.u);
          // what a blob may claim to inflate to is bounded before anything is allocated or inflated for it
          if (u > maxBlobBytes(t)) throw beyondLimits(`index claims a ${t} blob of ${u} bytes, more than ${maxBlobBytes(t)}`);
          return { id: hex(b.id), o: count(b.o), l: count(b.l), u, z };
        }),
      };
    }),
  };
}

export class MasterIndex {
  private readonly blobs = new Map<string, BlobLocation>();
  readonly packs = new Map<string, PackEntry>();
  /** The live index objects, by id. */
  readonly objects = new Map<string, IndexObject>();
  /**
   * Every index object it was made from, superseded ones too (an interrupted prune leaves those): prune must
   * supersede and delete them all, or deleting their superseder would bring their packs back to life.
   */
  readonly read = new Set<string>();

  /** Builds the index from every index object: superseded ones are left out. */
  static from(objects: Iterable<IndexObject>): MasterIndex {
    const all = [...objects];
    const superseded = new Set<string>();
    for (const o of all) for (const s of o.supersedes) superseded.add(s);
    const m = new MasterIndex();
    for (const o of all) m.read.add(o.id);
    for (const o of all) if (!superseded.has(o.id)) m.addObject(o);
    return m;
  }

  addObject(o: IndexObject): void {
    this.objects.set(o.id, o);
    for (const p of o.packs) this.addPack(p);
  }

  addPack(p: PackEntry): void {
    this.packs.set(p.id, p);
    for (const b of p.blobs) if (!this.blobs.has(b.id)) this.blobs.set(b.id, { pack: p, blob: b });
  }

  has(blobId: string): boolean {
    return this.blobs.has(blobId);
  }

  lookup(blobId: string): BlobLocation | undefined {
    return this.blobs.get(blobId);
  }

  get blobCount(): number {
    return this.blobs.size;
  }
}
