// Extended attributes of a path, never following a symlink, through @napi-rs/xattr (prebuilt N-API binaries of
// the Rust `xattr` crate: llistxattr/lgetxattr/lsetxattr; Node has no xattr API of its own). Loaded on first use,
// so a platform without a binary still backs up and restores everything else, and says what it could not do.
// Names and values are bounded as Linux bounds them (tree.ts XATTR_LIMITS); values travel as base64 in trees.

import { createRequire } from 'node:module';
import { XATTR_LIMITS, compareNames, type Xattrs } from '../tree.js';

interface Binding {
  listAttributesSync(path: string): string[];
  getAttributeSync(path: string, name: string): Buffer | null;
  setAttributeSync(path: string, name: string, value: Uint8Array): void;
}

let binding: Binding | null | undefined;

/** The binding, or null when this platform has none (then `unsupportedReason` says why). */
function load(): Binding | null {
  if (binding === undefined) {
    try {
      binding = createRequire(import.meta.url)('@napi-rs/xattr') as Binding;
    } catch {
      binding = null;
    }
  }
  return binding;
}

export const XATTRS_UNAVAILABLE = 'extended attributes not backed up: no xattr support for this platform (@napi-rs/xattr)';

/** Whether extended attributes can be read and written here. */
export function xattrsAvailable(): boolean {
  return load() !== null;
}

/**
 * The entry's extended attributes (names in byte order, values base64), undefined when it has none. Throws the
 * system error when they cannot be read (EACCES, say); a file system without xattrs simply has none.
 */
export function readXattrs(path: string): Xattrs | undefined {
  const b = load();
  if (b === null) return undefined;
  let names: string[];
  try {
    names = b.listAttributesSync(path);
  } catch (e) {
    if (/not supported|os error 95/i.test(String((e as Error).message))) return undefined;
    throw e;
  }
  if (names.length === 0) return undefined;
  if (names.length > XATTR_LIMITS.names) throw new Error(`more than ${XATTR_LIMITS.names} extended attributes`);
  names.sort(compareNames);
  const out: Xattrs = {};
  for (const name of names) {
    const value = b.getAttributeSync(path, name);
    if (value !== null) out[name] = value.toString('base64');
  }
  return out;
}

/** Whether an attribute is a POSIX ACL (system.posix_acl_access or _default), which a chmod would rewrite. */
export function isAcl(name: string): boolean {
  return name.startsWith('system.posix_acl_');
}

/** Sets each attribute; returns the names it could not set, with why (e.g. security.* without root). */
export function writeXattrs(path: string, xattrs: Xattrs): { name: string; error: string }[] {
  const b = load();
  const names = Object.keys(xattrs);
  if (b === null) return names.map((name) => ({ name, error: 'no xattr support for this platform' }));
  const failed: { name: string; error: string }[] = [];
  for (const name of names) {
    try {
      b.setAttributeSync(path, name, Buffer.from(xattrs[name]!, 'base64'));
    } catch (e) {
      failed.push({ name, error: String((e as Error).message).replace(/ \(os error \d+\)$/, '').toLowerCase() });
    }
  }
  return failed;
}
