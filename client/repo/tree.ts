// Tree blobs (docs/repository.md "Trees"): one directory listing as JSON `{"nodes": [...]}`, nodes sorted by
// the UTF-8 bytes of their names. Decoding is strict: every name is one safe path component, names are unique
// and sorted, and each type carries exactly the members it needs; anything else is refused as damaged, so a
// crafted tree can never name a path outside the directory it describes.

import { ClientError } from '../errors.js';

export type NodeType = 'file' | 'dir' | 'symlink' | 'fifo' | 'chardev' | 'blockdev';

/** Extended attributes: name → value (base64), names in byte order (docs/repository.md "Trees"). */
export type Xattrs = Record<string, string>;

interface NodeBase {
  name: string;
  mode: number;
  /** Nanoseconds since 1970, decimal. */
  mtime: string;
  uid: number;
  gid: number;
  /** Present only when the entry has extended attributes (POSIX ACLs among them). */
  xattrs?: Xattrs;
}

export interface FileNode extends NodeBase {
  type: 'file';
  size: number;
  content: string[];
  inode?: string;
  links?: number;
  ctime?: string;
}

export interface DirNode extends NodeBase {
  type: 'dir';
  subtree: string;
}

export interface SymlinkNode extends NodeBase {
  type: 'symlink';
  target: string;
}

/** A FIFO, or a character or block device (`rdev`: the device number, decimal, as `st_rdev`). */
export interface SpecialNode extends NodeBase {
  type: 'fifo' | 'chardev' | 'blockdev';
  rdev?: string;
}

export type TreeNode = FileNode | DirNode | SymlinkNode | SpecialNode;

/** The one-letter type `ls -l` shows for each node type. */
export const TYPE_LETTER: Readonly<Record<NodeType, string>> = { file: '-', dir: 'd', symlink: 'l', fifo: 'p', chardev: 'c', blockdev: 'b' };

/** Bounds of an entry's extended attributes: Linux's own (255-byte names, 64 KiB values) and a count. */
export const XATTR_LIMITS = { names: 256, nameBytes: 255, valueBytes: 64 * 1024, totalBytes: 1024 * 1024 } as const;

export interface Tree {
  nodes: TreeNode[];
}

const BLOB_ID = /^[0-9a-f]{64}$/;
const DECIMAL = /^(0|[1-9][0-9]{0,29})$/;

export function unsafeTree(message: string): ClientError<'unsafe-archive'> {
  return new ClientError('unsafe-archive', `unsafe snapshot: ${message}`);
}

/** Whether `name` is one path component a restorer may create. */
export function isSafeName(name: string): boolean {
  return name.length > 0 && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0')
    && Buffer.byteLength(name, 'utf8') <= 255 && !/[\uD800-\uDFFF]/.test(name.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));
}

export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function sortNodes(nodes: TreeNode[]): TreeNode[] {
  return nodes.sort((a, b) => compareNames(a.name, b.name));
}

export function encodeTree(tree: Tree): Uint8Array {
  return new Uint8Array(Buffer.from(JSON.stringify({ nodes: tree.nodes }), 'utf8'));
}

function int(v: unknown, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) throw unsafeTree(`bad ${what}`);
  return v;
}

function decimal(v: unknown, what: string): string {
  if (typeof v !== 'string' || !DECIMAL.test(v)) throw unsafeTree(`bad ${what}`);
  return v;
}

function blobId(v: unknown, what: string): string {
  if (typeof v !== 'string' || !BLOB_ID.test(v)) throw unsafeTree(`bad ${what}`);
  return v;
}

function xattrs(v: unknown, name: string): Xattrs {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw unsafeTree(`bad xattrs of ${JSON.stringify(name)}`);
  const out: Xattrs = {};
  let total = 0;
  let count = 0;
  let previous: string | undefined;
  for (const [k, value] of Object.entries(v as Record<string, unknown>)) {
    if (++count > XATTR_LIMITS.names || k.length === 0 || k.includes('\0') || Buffer.byteLength(k, 'utf8') > XATTR_LIMITS.nameBytes
      || typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0
      || (previous !== undefined && compareNames(previous, k) >= 0)) {
      throw unsafeTree(`bad xattrs of ${JSON.stringify(name)}`);
    }
    const bytes = (value.length / 4) * 3 - (value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0);
    total += bytes + k.length;
    if (bytes > XATTR_LIMITS.valueBytes || total > XATTR_LIMITS.totalBytes) throw unsafeTree(`xattrs of ${JSON.stringify(name)} are too large`);
    out[k] = value;
    previous = k;
  }
  return out;
}

/** Parses and validates a tree blob's plaintext; throws BkvError (unsafe-entry) on anything out of spec. */
export function decodeTree(bytes: Uint8Array): Tree {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    throw unsafeTree('tree is not json');
  }
  const rawNodes = (value as { nodes?: unknown } | null)?.nodes;
  if (!Array.isArray(rawNodes)) throw unsafeTree('tree without nodes');
  const nodes: TreeNode[] = [];
  let previous: string | undefined;
  for (const raw of rawNodes as unknown[]) {
    if (typeof raw !== 'object' || raw === null) throw unsafeTree('tree node is not an object');
    const r = raw as Record<string, unknown>;
    if (typeof r.name !== 'string' || !isSafeName(r.name)) throw unsafeTree(`bad name ${JSON.stringify(r.name)}`);
    const name = r.name;
    if (previous !== undefined) {
      const c = compareNames(previous, name);
      if (c === 0) throw unsafeTree(`duplicate name ${JSON.stringify(name)}`);
      if (c > 0) throw unsafeTree(`names out of order at ${JSON.stringify(name)}`);
    }
    previous = name;
    // Each node is one literal, not a spread of the common fields: V8 gives objects made by spreading at a busy
    // site a hidden class each (~300 bytes), and a restore of 100k files held 100k of them.
    const mode = int(r.mode, 'mode', 0o7777);
    const mtime = decimal(r.mtime, 'mtime');
    const uid = int(r.uid, 'uid', 2 ** 32 - 1);
    const gid = int(r.gid, 'gid', 2 ** 32 - 1);
    if (r.type === 'file') {
      if (!Array.isArray(r.content)) throw unsafeTree(`file ${JSON.stringify(name)} without content`);
      const node: FileNode = { name, mode, mtime, uid, gid, type: 'file', size: int(r.size, 'size'), content: r.content.map((c) => blobId(c, 'content id')) };
      if (r.inode !== undefined) node.inode = decimal(r.inode, 'inode');
      if (r.links !== undefined) node.links = int(r.links, 'links');
      if (r.ctime !== undefined) node.ctime = decimal(r.ctime, 'ctime');
      nodes.push(node);
    } else if (r.type === 'dir') {
      nodes.push({ name, mode, mtime, uid, gid, type: 'dir', subtree: blobId(r.subtree, 'subtree') });
    } else if (r.type === 'symlink') {
      if (typeof r.target !== 'string' || r.target.length === 0 || r.target.includes('\0')) throw unsafeTree(`bad symlink target of ${JSON.stringify(name)}`);
      nodes.push({ name, mode, mtime, uid, gid, type: 'symlink', target: r.target });
    } else if (r.type === 'fifo') {
      nodes.push({ name, mode, mtime, uid, gid, type: 'fifo' });
    } else if (r.type === 'chardev' || r.type === 'blockdev') {
      nodes.push({ name, mode, mtime, uid, gid, type: r.type, rdev: decimal(r.rdev, 'rdev') });
    } else {
      throw unsafeTree(`bad type of ${JSON.stringify(name)}`);
    }
    // rare: only entries that have extended attributes carry the member (and so another hidden class)
    if (r.xattrs !== undefined) nodes[nodes.length - 1]!.xattrs = xattrs(r.xattrs, name);
  }
  return { nodes };
}
