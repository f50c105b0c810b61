#!/usr/bin/env python3
"""bkv-restore: restore a bkv snapshot with nothing but Python 3 (3.9+) and the `age` CLI.

An independent implementation of docs/repository.md (repository format version 1); it shares no code with bkv.

usage:
  bkv-restore.py --identity FILE --repo DIR snapshots
  bkv-restore.py --identity FILE --repo DIR ls SNAPSHOT|latest
  bkv-restore.py --identity FILE --repo DIR restore SNAPSHOT|latest TARGET [--include PATH]...

FILE is what `bkv key age-identity` prints (AGE-SECRET-KEY-1...). DIR is a copy of the repository: DIR/config/<id>,
DIR/snapshots/<id>, DIR/index/<id>, DIR/data/<id> (for example `aws s3 sync s3://BUCKET/accounts/<b64>/repo/ DIR`);
the local runtime's object directory (<id>._S3rver_object files) is read too. SNAPSHOT is an id or a unique
prefix of at least 8 hex digits, or `latest` (the newest by time).

`ls` prints one path per line, relative to the snapshot's root (the root holds one entry per backed-up path,
named by its last component), with a trailing `/` for directories and ` -> TARGET` for symlinks. `--include PATH`
restores only PATH (such a relative path, or one of the snapshot's absolute paths or a path beneath it) and what
is beneath it, with the directories above it.

restore writes into a fresh directory TARGET.partial-<random> (mode 0700) beside TARGET and renames it to TARGET
at the end; TARGET must not exist or be an empty directory. On any error, Ctrl-C or SIGTERM the partial directory
is removed, so nothing is left in TARGET. Every object is decrypted with `age -d -i FILE` through a pipe, in
memory; no plaintext is written anywhere but the restored files.

exit codes:
  0  success
  1  local failure: `age` missing, a file in TARGET could not be created, other I/O errors
  2  usage: bad arguments, unknown or ambiguous SNAPSHOT, TARGET exists and is not empty, --include matches nothing
  3  wrong identity: an object does not decrypt with FILE (no matching recipient)
  4  incomplete repository: a needed object or blob is missing
  5  damaged or forged repository: age refused an object (altered, truncated), an object names another id, a
     pack header hash or size mismatch, malformed JSON, an unsafe or invalid tree, a file size mismatch, or
     anything beyond docs/repository.md "Limits" (a blob's u, tree depth, a snapshot's entries)
  6  unsupported repository version
  130 interrupted (Ctrl-C or SIGTERM)
"""

import argparse
import base64
import binascii
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import stat
import struct
import subprocess
import sys
import zlib

ID_RE = re.compile(r'^[0-9a-f]{64}$')
HEX_PREFIX_RE = re.compile(r'^[0-9a-f]{8,64}$')
DEC_RE = re.compile(r'^-?(0|[1-9][0-9]*)$')
UDEC_RE = re.compile(r'^(0|[1-9][0-9]*)$')
TYPES = ('config', 'snapshots', 'index', 'data')
MAX_PACK = 64 * 1024 * 1024
TREE_CACHE = 256 * 1024 * 1024
# docs/repository.md "Limits": what a reader refuses before it spends memory or time on it
MAX_DEPTH = 2048  # levels of trees, the root being 1: PATH_MAX allows no deeper tree of one-character names
MAX_U = {'data': 8 * 1024 * 1024, 'tree': 128 * 1024 * 1024}  # a blob's plaintext (u), by pack type
MAX_ENTRIES = 10000000  # entries a snapshot stands for, a shared subtree counted every time it is named


class Fail(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class Interrupted(BaseException):
    pass


def usage(msg):
    return Fail(2, msg)


def damaged(msg):
    return Fail(5, msg)


def missing(msg):
    return Fail(4, msg)


def warn(msg):
    print('bkv-restore: warning: ' + msg, file=sys.stderr)


# ---------------------------------------------------------------- strict JSON

def _pairs(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise ValueError('duplicate member %r' % k)
        obj[k] = v
    return obj


def _no_constant(name):
    raise ValueError('non-standard constant %s' % name)


def parse_json(data, what):
    try:
        text = data.decode('utf-8')
        value = json.loads(text, object_pairs_hook=_pairs, parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as e:
        raise damaged('%s: not valid JSON (%s)' % (what, e))
    if not isinstance(value, dict):
        raise damaged('%s: not a JSON object' % what)
    return value


def get_int(obj, key, what, lo=0, hi=None, required=True):
    """A non-negative integer member: a JSON integer, or a decimal string (integers above 2^53)."""
    if key not in obj:
        if required:
            raise damaged('%s: missing %r' % (what, key))
        return None
    v = obj[key]
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        raise damaged('%s: %r is not an integer' % (what, key))
    if isinstance(v, str):
        if not (DEC_RE if lo is None or lo < 0 else UDEC_RE).match(v):
            raise damaged('%s: %r is not a decimal integer' % (what, key))
        v = int(v)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise damaged('%s: %r out of range' % (what, key))
    return v


def get_dec(obj, key, what, signed=False, required=True):
    """A member written as a decimal string (mtime, inode, ctime); a JSON integer is accepted too."""
    return get_int(obj, key, what, lo=None if signed else 0, required=required)


def get_str(obj, key, what, required=True):
    if key not in obj:
        if required:
            raise damaged('%s: missing %r' % (what, key))
        return None
    v = obj[key]
    if not isinstance(v, str):
        raise damaged('%s: %r is not a string' % (what, key))
    return v


def get_id(obj, key, what):
    v = get_str(obj, key, what)
    if not ID_RE.match(v):
        raise damaged('%s: %r is not a 64-hex-digit id' % (what, key))
    return v


def get_list(obj, key, what, required=True):
    if key not in obj:
        if required:
            raise damaged('%s: missing %r' % (what, key))
        return []
    v = obj[key]
    if not isinstance(v, list):
        raise damaged('%s: %r is not a list' % (what, key))
    return v


# ---------------------------------------------------------------- repository

def age_header_length(ct, what):
    """The length of the age header: through the LF that ends the `--- MAC` line (the payload nonce follows)."""
    if not ct.startswith(b'age-encryption.org/v1\n'):
        raise damaged('%s: not an age v1 file' % what)
    i = ct.find(b'\n--- ')
    if i < 0:
        raise damaged('%s: age header has no MAC line' % what)
    j = ct.find(b'\n', i + 1)
    if j < 0:
        raise damaged('%s: age header is truncated' % what)
    return j + 1


class Repo:
    def __init__(self, root, identity):
        self.root = root
        self.identity = identity
        self.names = {}
        self.config_ok = False
        if not os.path.isdir(root):
            raise usage('--repo %s: not a directory' % root)
        for t in TYPES:
            found = {}
            d = os.path.join(root, t)
            if os.path.isdir(d):
                for entry in os.listdir(d):
                    oid = entry[:-len('._S3rver_object')] if entry.endswith('._S3rver_object') else entry
                    if ID_RE.match(oid) and os.path.isfile(os.path.join(d, entry)):
                        if oid in found:
                            raise damaged('%s/%s is stored twice' % (t, oid))
                        found[oid] = os.path.join(d, entry)
            self.names[t] = found

    def ids(self, t):
        return sorted(self.names[t])

    def read(self, t, oid):
        path = self.names[t].get(oid)
        if path is None:
            raise missing('%s/%s is missing from the repository' % (t, oid))
        try:
            with open(path, 'rb') as f:
                return f.read(MAX_PACK + (1 << 20) * 2 if t == 'data' else 1 << 30)
        except OSError as e:
            raise Fail(1, 'cannot read %s: %s' % (path, e.strerror))

    def decrypt(self, t, oid, ct=None):
        what = '%s/%s' % (t, oid)
        if ct is None:
            ct = self.read(t, oid)
        try:
            p = subprocess.run(['age', '-d', '-i', self.identity], input=ct, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
        except FileNotFoundError:
            raise Fail(1, 'the age CLI is not installed (Debian: apt-get install age)')
        if p.returncode != 0:
            err = p.stderr.decode('utf-8', 'replace').strip().splitlines()
            err = [l for l in err if l.strip() and not l.startswith('age: report')]
            msg = err[0] if err else 'age exited with %d' % p.returncode
            if 'no identity matched' in msg:
                if self.config_ok:  # the config decrypted: this object is not under the repository's key
                    raise damaged('%s is not encrypted to this repository\'s key (%s)' % (what, msg))
                raise Fail(3, '%s does not decrypt with %s: wrong identity (%s)' % (what, self.identity, msg))
            if msg.startswith('age: error: reading "'):
                raise usage('--identity %s: %s' % (self.identity, msg))
            raise damaged('%s is damaged or altered: %s' % (what, msg))
        return p.stdout

    def json_object(self, t, oid):
        what = '%s/%s' % (t, oid)
        obj = parse_json(self.decrypt(t, oid), what)
        if get_id(obj, 'id', what) != oid:
            raise damaged('%s names itself %s: an object served under another id' % (what, obj['id']))
        return obj

    def check_config(self):
        ids = self.ids('config')
        if not ids:
            raise missing('the repository has no config object (is --repo the repository directory?)')
        if len(ids) > 1:
            raise damaged('the repository has %d config objects; it must have exactly one' % len(ids))
        cfg = self.json_object('config', ids[0])
        version = cfg.get('version')
        if version != 1 or isinstance(version, bool):
            raise Fail(6, 'repository version %r is not supported (this restorer reads version 1)' % (version,))
        self.config_ok = True
        return cfg

    # -- snapshots

    def snapshot(self, oid):
        s = self.json_object('snapshots', oid)
        what = 'snapshots/%s' % oid
        if s.get('version') != 1 or isinstance(s.get('version'), bool):
            raise Fail(6, '%s: snapshot version %r is not supported' % (what, s.get('version')))
        get_str(s, 'time', what)
        get_id(s, 'tree', what)
        paths = get_list(s, 'paths', what)
        if not all(isinstance(p, str) for p in paths):
            raise damaged('%s: paths must be strings' % what)
        inc = s.get('incomplete', False)
        if not isinstance(inc, bool):
            raise damaged('%s: incomplete must be true or false' % what)
        return s

    def snapshots(self):
        snaps = [self.snapshot(i) for i in self.ids('snapshots')]
        snaps.sort(key=lambda s: (s['time'], s['id']))
        return snaps

    def resolve(self, ref):
        if ref == 'latest':
            snaps = self.snapshots()
            if not snaps:
                raise usage('the repository has no snapshots')
            return snaps[-1]
        if not HEX_PREFIX_RE.match(ref):
            raise usage('snapshot %r: give an id, a prefix of at least 8 lowercase hex digits, or latest' % ref)
        matches = [i for i in self.ids('snapshots') if i.startswith(ref)]
        if not matches:
            raise usage('no snapshot %s' % ref)
        if len(matches) > 1:
            raise usage('snapshot prefix %s is ambiguous (%d snapshots)' % (ref, len(matches)))
        return self.snapshot(matches[0])

    # -- index

    def load_index(self):
        indexes = {}
        for oid in self.ids('index'):
            what = 'index/%s' % oid
            ix = self.json_object('index', oid)
            if ix.get('version') != 1 or isinstance(ix.get('version'), bool):
                raise Fail(6, '%s: index version %r is not supported' % (what, ix.get('version')))
            sup = get_list(ix, 'supersedes', what, required=False)
            for s in sup:
                if not isinstance(s, str) or not ID_RE.match(s):
                    raise damaged('%s: supersedes holds a bad id' % what)
            indexes[oid] = ix
        superseded = set()
        for ix in indexes.values():
            superseded.update(ix.get('supersedes', []))
        blobs = {}  # blob id -> list of (pack id, t, o, l, u, z)
        packs = {}  # pack id -> (t, size, h)
        for oid, ix in sorted(indexes.items()):
            if oid in superseded:
                continue
            what = 'index/%s' % oid
            for p in get_list(ix, 'packs', what):
                if not isinstance(p, dict):
                    raise damaged('%s: a pack entry is not an object' % what)
                pid = get_id(p, 'id', what + ' pack')
                pw = '%s pack %s' % (what, pid)
                t = get_str(p, 't', pw)
                if t not in ('data', 'tree'):
                    raise damaged('%s: t must be data or tree' % pw)
                size = get_int(p, 'size', pw)
                h = get_str(p, 'h', pw)
                if not re.match(r'^[0-9a-f]{64}$', h):
                    raise damaged('%s: h is not a SHA-256 hex digest' % pw)
                if pid in packs and packs[pid] != (t, size, h):
                    raise damaged('pack %s is described differently by two indexes' % pid)
                packs[pid] = (t, size, h)
                for b in get_list(p, 'blobs', pw):
                    if not isinstance(b, dict):
                        raise damaged('%s: a blob entry is not an object' % pw)
                    bid = get_id(b, 'id', pw + ' blob')
                    bw = '%s blob %s' % (pw, bid)
                    o, l, u = get_int(b, 'o', bw), get_int(b, 'l', bw), get_int(b, 'u', bw)
                    z = get_int(b, 'z', bw, hi=1)
                    if u > MAX_U[t]:
                        raise damaged('%s: u %d is more than a %s blob may hold (%d; docs/repository.md "Limits")'
                                      % (bw, u, t, MAX_U[t]))
                    if z == 0 and l != u:
                        raise damaged('%s: stored as is (z 0) but l %d != u %d' % (bw, l, u))
                    blobs.setdefault(bid, []).append((pid, t, o, l, u, z))
        self.blobs = blobs
        self.packs = packs

    def locate(self, bid, t, what):
        cands = [c for c in self.blobs.get(bid, ()) if c[1] == t]
        if not cands:
            if any(self.blobs.get(bid, ())):
                raise damaged('%s: blob %s is indexed in a pack of another type' % (what, bid))
            raise missing('%s: blob %s is not in the index' % (what, bid))
        for c in cands:
            if c[0] in self.names['data']:
                return c
        raise missing('%s: blob %s: its pack data/%s is missing' % (what, bid, cands[0][0]))

    def pack(self, pid):
        """The verified plaintext of data/<pid> and its trailer's blobs (id -> (o, l, u, z))."""
        what = 'data/%s' % pid
        t, size, h = self.packs[pid]
        ct = self.read('data', pid)
        if len(ct) != size:
            raise damaged('%s is %d bytes; the index says %d (truncated or altered)' % (what, len(ct), size))
        hl = age_header_length(ct, what)
        if hashlib.sha256(ct[:hl]).hexdigest() != h:
            raise damaged('%s: its age header does not match the index (h): not the pack the index means' % what)
        pt = self.decrypt('data', pid, ct)
        del ct
        if len(pt) < 4:
            raise damaged('%s: too short for a pack' % what)
        (tl,) = struct.unpack('<I', pt[-4:])
        if tl + 4 > len(pt):
            raise damaged('%s: trailer length %d beyond the pack' % (what, tl))
        end = len(pt) - 4 - tl
        trailer = parse_json(pt[end:len(pt) - 4], what + ' trailer')
        if get_id(trailer, 'id', what + ' trailer') != pid:
            raise damaged('%s names itself %s: an object served under another id' % (what, trailer['id']))
        listed = {}
        for b in get_list(trailer, 'blobs', what + ' trailer'):
            if not isinstance(b, dict):
                raise damaged('%s trailer: a blob entry is not an object' % what)
            bw = what + ' trailer blob'
            bid = get_id(b, 'id', bw)
            bt = b.get('t', t)
            if bt != t:
                raise damaged('%s: holds a %r blob in a %s pack' % (what, bt, t))
            ent = (get_int(b, 'o', bw), get_int(b, 'l', bw), get_int(b, 'u', bw, hi=MAX_U[t]), get_int(b, 'z', bw, hi=1))
            if ent[0] + ent[1] > end:
                raise damaged('%s: blob %s lies beyond the blobs' % (what, bid))
            listed.setdefault(bid, set()).add(ent)
        return pt, listed, end

    def blob_from(self, pack, loc, what):
        pt, listed, end = pack
        pid, t, o, l, u, z = loc[:6]
        if (o, l, u, z) not in listed.get(loc_bid(loc), set()):
            raise damaged('data/%s: its trailer does not list blob %s where the index says' % (pid, loc_bid(loc)))
        if o + l > end:
            raise damaged('data/%s: blob %s lies beyond the blobs' % (pid, loc_bid(loc)))
        raw = pt[o:o + l]
        if u > MAX_U[t]:
            raise damaged('blob %s: u %d is more than a %s blob may hold' % (loc_bid(loc), u, t))
        if z == 0:
            return raw
        try:
            d = zlib.decompressobj()  # inflates at most u + 1 bytes (max_length), so never more than MAX_U
            out = d.decompress(raw, u + 1)
            if len(out) != u or not d.eof or d.unused_data or d.unconsumed_tail:
                raise damaged('blob %s: decompresses to other than %d bytes' % (loc_bid(loc), u))
        except zlib.error as e:
            raise damaged('blob %s: bad zlib data (%s)' % (loc_bid(loc), e))
        return out


def loc_bid(loc):
    return loc[6]


def too_deep():
    return damaged('the tree is nested more than %d levels deep (docs/repository.md "Limits")' % MAX_DEPTH)


def too_many():
    return damaged('the snapshot stands for more than %d entries (docs/repository.md "Limits")' % MAX_ENTRIES)


# ---------------------------------------------------------------- holes

HOLE_BLOCK = 4096
ZERO_BLOCK = bytes(HOLE_BLOCK)


def write_keeping_holes(f, data, off):
    """Writes data at off of a new file, leaving whole 4 KiB blocks of zeros unwritten, so a sparse file comes
    back sparse (the caller sets the file's length at the end)."""
    view = memoryview(data)
    start = at = 0
    while at < len(view):
        end = min(len(view), at + HOLE_BLOCK - (off + at) % HOLE_BLOCK)
        if end - at == HOLE_BLOCK and view[at:end] == ZERO_BLOCK:
            pwrite_all(f, view[start:at], off + start)
            start = end
        at = end
    pwrite_all(f, view[start:], off + start)


def pwrite_all(f, view, off):
    while view:
        w = os.pwrite(f, view, off)
        view = view[w:]
        off += w


# ---------------------------------------------------------------- trees

class Node:
    __slots__ = ('rel', 'name', 'type', 'mode', 'mtime', 'uid', 'gid', 'size', 'content', 'inode', 'target',
                 'children', 'depth', 'parent', 'link_to', 'rdev', 'xattrs')


# extended attributes: at most this many per entry, names of at most 255 bytes, values of at most 64 KiB, 1 MiB
# in all (docs/repository.md "Trees")
XATTR_NAMES, XATTR_NAME_BYTES, XATTR_VALUE_BYTES, XATTR_TOTAL_BYTES = 256, 255, 64 * 1024, 1024 * 1024


def parse_xattrs(v, what):
    if not isinstance(v, dict):
        raise damaged('%s: bad xattrs' % what)
    if len(v) > XATTR_NAMES:
        raise damaged('%s: too many xattrs' % what)
    out, total, previous = [], 0, None
    for k, val in v.items():
        if not isinstance(k, str) or not k or '\0' in k or len(k.encode('utf-8')) > XATTR_NAME_BYTES \
                or not isinstance(val, str) or (previous is not None and previous.encode('utf-8') >= k.encode('utf-8')):
            raise damaged('%s: bad xattrs' % what)
        try:
            b = base64.b64decode(val, validate=True)
        except (ValueError, binascii.Error):
            raise damaged('%s: bad xattrs' % what)
        total += len(b) + len(k)
        if len(b) > XATTR_VALUE_BYTES or total > XATTR_TOTAL_BYTES:
            raise damaged('%s: xattrs are too large' % what)
        out.append((k, b))
        previous = k
    return out


def check_name(name, what):
    if not isinstance(name, str):
        raise damaged('%s: a name is not a string' % what)
    try:
        b = name.encode('utf-8')
    except UnicodeEncodeError:
        raise damaged('%s: name %r is not valid UTF-8' % (what, name))
    if b in (b'', b'.', b'..') or b'/' in b or b'\0' in b:
        raise damaged('%s: unsafe name %r (a name is one path component)' % (what, name))
    return b


def parse_node(n, what):
    if not isinstance(n, dict):
        raise damaged('%s: a node is not an object' % what)
    node = Node()
    node.name = get_str(n, 'name', what)
    nb = check_name(node.name, what)
    nw = '%s %r' % (what, node.name)
    node.type = get_str(n, 'type', nw)
    if node.type not in ('file', 'dir', 'symlink', 'fifo', 'chardev', 'blockdev'):
        raise damaged('%s: unknown type %r' % (nw, node.type))
    node.mode = get_int(n, 'mode', nw, hi=0o7777)
    node.mtime = get_dec(n, 'mtime', nw, signed=True)
    node.uid = get_int(n, 'uid', nw, hi=2 ** 32 - 1)
    node.gid = get_int(n, 'gid', nw, hi=2 ** 32 - 1)
    node.size = node.content = node.inode = node.target = node.rdev = None
    node.children = None
    node.xattrs = parse_xattrs(n['xattrs'], nw) if 'xattrs' in n else []
    if node.type == 'file':
        node.size = get_int(n, 'size', nw)
        node.content = get_list(n, 'content', nw)
        for c in node.content:
            if not isinstance(c, str) or not ID_RE.match(c):
                raise damaged('%s: content holds a bad blob id' % nw)
        links = get_int(n, 'links', nw, required=False)
        if links is not None and links > 1:
            node.inode = get_dec(n, 'inode', nw)
    elif node.type == 'dir':
        node.content = get_id(n, 'subtree', nw)
    elif node.type in ('chardev', 'blockdev'):
        node.rdev = get_dec(n, 'rdev', nw)
    elif node.type == 'fifo':
        pass
    else:
        node.target = get_str(n, 'target', nw)
        try:
            tb = node.target.encode('utf-8')
        except UnicodeEncodeError:
            raise damaged('%s: target is not valid UTF-8' % nw)
        if tb == b'' or b'\0' in tb:
            raise damaged('%s: symlink target is empty or holds NUL' % nw)
    return nb, node


class Snapshot:
    """Reads and validates the whole tree of one snapshot (tree packs fetched once each)."""

    def __init__(self, repo, snap):
        self.repo = repo
        self.snap = snap
        self.root = []
        trees = {}  # tree blob id -> parsed nodes (a subtree may occur more than once)
        # Fetch every tree, level by level. Tree packs stay in memory until the walk ends (up to TREE_CACHE
        # bytes; beyond that the oldest is dropped and fetched again if needed), so each is fetched once.
        pending = {snap['tree']}
        seen = set()
        cache = {}
        distinct = 0
        while pending:
            bypack = {}
            for tid in pending:
                loc = repo.locate(tid, 'tree', 'tree') + (tid,)
                bypack.setdefault(loc[0], []).append(loc)
            nxt = set()
            for pid in sorted(bypack):
                pk = cache.get(pid)
                if pk is None:
                    pk = cache[pid] = repo.pack(pid)
                    while sum(len(c[0]) for c in cache.values()) > TREE_CACHE and len(cache) > 1:
                        del cache[next(iter(cache))]
                for loc in bypack[pid]:
                    tid = loc[6]
                    data = repo.blob_from(pk, loc, tid)
                    trees[tid] = self.parse_tree(tid, data)
                    distinct += len(trees[tid])
                    if distinct > MAX_ENTRIES:  # each distinct node is at least one entry of the snapshot
                        raise too_many()
                    seen.add(tid)
                    for _, n in trees[tid]:
                        if n.type == 'dir' and n.content not in seen:
                            nxt.add(n.content)
                del pk
            pending = nxt - seen
        cache.clear()
        self.measure(trees, snap['tree'])
        self.root = self.build(trees, snap['tree'])

    @staticmethod
    def parse_tree(tid, data):
        what = 'tree %s' % tid
        t = parse_json(data, what)
        nodes = [parse_node(n, what) for n in get_list(t, 'nodes', what)]
        for a, b in zip(nodes, nodes[1:]):
            if a[0] == b[0]:
                raise damaged('%s: duplicate name %r' % (what, b[1].name))
            if a[0] > b[0]:
                raise damaged('%s: names not sorted (%r before %r)' % (what, a[1].name, b[1].name))
        return nodes

    @staticmethod
    def measure(trees, root_id):
        """Refuses, before a node is made, a tree deeper than MAX_DEPTH levels, one containing itself, or one
        standing for more than MAX_ENTRIES entries: each distinct tree is measured once (iteratively), so a small
        graph naming the same subtree many times costs its size, not the entries it stands for."""
        shape = {}  # tree id -> (entries, depth)
        on_path = set()
        stack = [(root_id, 1, 0)]  # (tree id, level, next node index)
        partial = {}  # tree id -> [entries, depth] while it is being measured
        while stack:
            tid, level, i = stack.pop()
            if i == 0:
                if tid in shape:
                    if level + shape[tid][1] - 1 > MAX_DEPTH:
                        raise too_deep()
                    continue
                if level > MAX_DEPTH:
                    raise too_deep()
                if tid in on_path:
                    raise damaged('tree %s contains itself' % tid)
                on_path.add(tid)
                partial[tid] = [len(trees[tid]), 0]
            nodes = trees[tid]
            while i < len(nodes) and nodes[i][1].type != 'dir':
                i += 1
            if i < len(nodes):
                sub = nodes[i][1].content
                stack.append((tid, level, i + 1))
                if sub in shape:
                    e, d = shape[sub]
                    if level + d > MAX_DEPTH:
                        raise too_deep()
                    acc = partial[tid]
                    acc[0] += e
                    acc[1] = max(acc[1], d)
                    if acc[0] > MAX_ENTRIES:
                        raise too_many()
                else:
                    stack.append((sub, level + 1, 0))
                continue
            on_path.discard(tid)
            e, d = partial.pop(tid)
            shape[tid] = (e, d + 1)
            if stack:  # add it to the tree that named it
                acc = partial[stack[-1][0]]
                acc[0] += e
                acc[1] = max(acc[1], d + 1)
                if acc[0] > MAX_ENTRIES:
                    raise too_many()
        return shape[root_id]

    def build(self, trees, root_id):
        """Fresh Node objects per occurrence; refuses a tree that contains itself (a cycle)."""
        def inst(tid, prefix, depth, ancestors, parent):
            if tid in ancestors:
                raise damaged('tree %s contains itself' % tid)
            if depth > MAX_DEPTH:
                raise damaged('the tree is deeper than %d levels' % MAX_DEPTH)
            out = []
            for _, n in trees[tid]:
                c = Node()
                for s in Node.__slots__:
                    if s not in ('rel', 'children', 'depth', 'parent', 'link_to'):
                        setattr(c, s, getattr(n, s))
                c.rel = prefix + (n.name,)
                c.depth = depth
                c.parent = parent
                c.children = None
                c.link_to = None
                out.append(c)
                if n.type == 'dir':
                    c.children = inst(n.content, c.rel, depth + 1, ancestors | {tid}, c)
            return out
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old, MAX_DEPTH * 2 + 200))
        try:
            return inst(root_id, (), 0, frozenset(), None)
        finally:
            sys.setrecursionlimit(old)

    def walk(self, nodes=None):
        stack = list(reversed(self.root if nodes is None else nodes))
        while stack:
            n = stack.pop()
            yield n
            if n.children:
                stack.extend(reversed(n.children))


def show(rel):
    return '/'.join(rel)


# ---------------------------------------------------------------- restore

def fd_open_dir(root_fd, rel):
    """Opens a directory beneath root_fd one component at a time, never following a symlink."""
    fd = os.dup(root_fd)
    try:
        for name in rel:
            nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            os.close(fd)
            fd = nfd
        return fd
    except BaseException:
        os.close(fd)
        raise


class Restorer:
    def __init__(self, repo, snapshot, includes):
        self.repo = repo
        self.s = snapshot
        self.root_fd = None
        self.selected = self.select(includes)
        self.am_root = os.geteuid() == 0
        self.umask = os.umask(0)
        os.umask(self.umask)

    def select(self, includes):
        nodes = list(self.s.walk())
        if not includes:
            return nodes
        want = []
        for inc in includes:
            rel = self.include_rel(inc)
            if not any(n.rel == rel for n in nodes):
                raise usage('--include %s: not in the snapshot' % inc)
            want.append(rel)
        keep = []
        for n in nodes:
            for rel in want:
                if n.rel[:len(rel)] == rel or rel[:len(n.rel)] == n.rel:
                    keep.append(n)
                    break
        return keep

    def include_rel(self, inc):
        if inc.startswith('/'):
            for p in self.s.snap.get('paths', []):
                p2 = p.rstrip('/')
                if inc == p2 or inc.startswith(p2 + '/'):
                    base = p2.rsplit('/', 1)[-1]
                    rest = inc[len(p2):].strip('/')
                    return tuple([base] + [c for c in rest.split('/') if c])
            raise usage('--include %s: not beneath any of the snapshot\'s paths' % inc)
        return tuple(c for c in inc.split('/') if c and c != '.')

    def check(self):
        """Everything that can be checked before a byte is written: sizes and blob locations."""
        self.plan = {}  # pack id -> list of (node, offset in file, loc)
        for n in self.selected:
            if n.type != 'file' or n.link_to is not None:
                continue
            off = 0
            for bid in n.content:
                loc = self.repo.locate(bid, 'data', show(n.rel)) + (bid,)
                self.plan.setdefault(loc[0], []).append((n, off, loc))
                off += loc[4]
            if off != n.size:
                raise damaged('%s: its chunks add up to %d bytes; its size is %d' % (show(n.rel), off, n.size))

    def run(self, target):
        target = target.rstrip('/') or '/'
        parent = os.path.dirname(os.path.abspath(target))
        existed = self.check_target(target)
        for n in self.selected:
            n.link_to = None
        groups = {}
        for n in self.selected:
            if n.type == 'file' and n.inode is not None:
                first = groups.setdefault(n.inode, n)
                if first is not n:
                    if first.size != n.size or first.content != n.content:
                        warn('%s and %s share inode %d but differ; restored as hard links of the first' %
                             (show(first.rel), show(n.rel), n.inode))
                    n.link_to = first
        self.check()
        partial = os.path.join(parent, '%s.partial-%s' % (os.path.basename(target), secrets.token_hex(6)))
        os.mkdir(partial, 0o700)
        try:
            self.root_fd = os.open(partial, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
            self.restore_all()
            os.fchmod(self.root_fd, existed if existed is not None else 0o777 & ~self.umask)
            os.close(self.root_fd)
            self.root_fd = None
            self.check_target(target)  # again: it may have changed meanwhile (rename then fails unless empty)
            os.rename(partial, target)
        except BaseException:
            if self.root_fd is not None:
                os.close(self.root_fd)
            remove_tree(partial)
            raise
        return len(self.selected)

    @staticmethod
    def check_target(target):
        """None when TARGET does not exist; its mode when it is an empty directory; refuses anything else."""
        try:
            st = os.lstat(target)
        except FileNotFoundError:
            return None
        if not stat.S_ISDIR(st.st_mode):
            raise usage('target %s exists and is not a directory' % target)
        if os.listdir(target):
            raise usage('target %s exists and is not empty: restore into a fresh directory' % target)
        return stat.S_IMODE(st.st_mode)

    def open_entry(self, n, flags, mode=0o600):
        """Opens entry n relative to its parent directory's fd, never following a symlink; returns the fd."""
        dfd = self.dir_fd(n.rel[:-1])
        try:
            return os.open(n.name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=dfd)
        finally:
            os.close(dfd)

    def dir_fd(self, rel):
        return fd_open_dir(self.root_fd, rel)

    def restore_all(self):
        sel = self.selected
        # 1. directories (0700 while we write into them)
        for n in sel:
            if n.type == 'dir':
                fd = self.dir_fd(n.rel[:-1])
                try:
                    os.mkdir(n.name, 0o700, dir_fd=fd)
                finally:
                    os.close(fd)
        # 2. files: created empty (0600), then each pack fetched once and its blobs written where they belong
        for n in sel:
            if n.type == 'file' and n.link_to is None:
                os.close(self.open_entry(n, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        for pid in sorted(self.plan):
            pk = self.repo.pack(pid)
            byfile = {}
            for n, off, loc in self.plan[pid]:
                byfile.setdefault(id(n), (n, []))[1].append((off, loc))
            for n, parts in byfile.values():
                f = self.open_entry(n, os.O_WRONLY)
                try:
                    for off, loc in parts:
                        write_keeping_holes(f, self.repo.blob_from(pk, loc, show(n.rel)), off)
                finally:
                    os.close(f)
            del pk
        for n in sel:
            if n.type == 'file' and n.link_to is None:
                st = self.stat(n)
                if st.st_size < n.size:  # the file ends in a hole: blocks of zeros were not written
                    f = self.open_entry(n, os.O_WRONLY)
                    try:
                        os.ftruncate(f, n.size)
                    finally:
                        os.close(f)
                    st = self.stat(n)
                if st.st_size != n.size:
                    raise damaged('%s: restored %d bytes, expected %d' % (show(n.rel), st.st_size, n.size))
                self.set_meta(n)
        # FIFOs and (as root) device nodes
        for n in sel:
            if n.type in ('fifo', 'chardev', 'blockdev'):
                fd = self.dir_fd(n.rel[:-1])
                try:
                    if n.type == 'fifo':
                        os.mkfifo(n.name, 0o600, dir_fd=fd)
                    elif self.am_root:
                        kind = stat.S_IFCHR if n.type == 'chardev' else stat.S_IFBLK
                        os.mknod(n.name, kind | 0o600, n.rdev, dir_fd=fd)
                    else:
                        warn('%s: device node not restored (needs root)' % show(n.rel))
                        continue
                    self.set_xattrs(n, n.name, fd)
                    if self.am_root:
                        os.chown(n.name, n.uid, n.gid, dir_fd=fd, follow_symlinks=False)
                    os.chmod(n.name, n.mode & ~self.umask, dir_fd=fd, follow_symlinks=False)
                    self.set_xattrs(n, n.name, fd, acls=True)
                    os.utime(n.name, ns=(n.mtime, n.mtime), dir_fd=fd, follow_symlinks=False)
                finally:
                    os.close(fd)
        # 3. hard links
        for n in sel:
            if n.type == 'file' and n.link_to is not None:
                sfd = self.dir_fd(n.link_to.rel[:-1])
                dfd = self.dir_fd(n.rel[:-1])
                try:
                    os.link(n.link_to.name, n.name, src_dir_fd=sfd, dst_dir_fd=dfd, follow_symlinks=False)
                finally:
                    os.close(sfd)
                    os.close(dfd)
        # 4. symlinks, last of the entries: nothing is ever opened beneath or through one
        for n in sel:
            if n.type == 'symlink':
                fd = self.dir_fd(n.rel[:-1])
                try:
                    os.symlink(n.target.encode('utf-8'), n.name.encode('utf-8'), dir_fd=fd)
                    if self.am_root:
                        os.chown(n.name, n.uid, n.gid, dir_fd=fd, follow_symlinks=False)
                    os.utime(n.name, ns=(n.mtime, n.mtime), dir_fd=fd, follow_symlinks=False)
                finally:
                    os.close(fd)
        # 5. directory modes and times, deepest first
        for n in sorted((n for n in sel if n.type == 'dir'), key=lambda n: -n.depth):
            fd = self.dir_fd(n.rel)
            try:
                self.set_xattrs(n, fd)
                if self.am_root:
                    os.fchown(fd, n.uid, n.gid)
                os.fchmod(fd, n.mode & ~self.umask)
                self.set_xattrs(n, fd, acls=True)
                os.utime(fd, ns=(n.mtime, n.mtime))
            finally:
                os.close(fd)

    def stat(self, n):
        fd = self.dir_fd(n.rel[:-1])
        try:
            return os.stat(n.name, dir_fd=fd, follow_symlinks=False)
        finally:
            os.close(fd)

    def set_xattrs(self, n, target, dir_fd=None, acls=False):
        """Sets the entry's extended attributes (target: an open fd, or a name in dir_fd); one refused is a warning.
        POSIX ACLs (system.posix_acl_*) only when acls is true: they go after the chmod, which rewrites their mask."""
        for k, v in n.xattrs:
            if k.startswith('system.posix_acl_') != acls:
                continue
            try:
                if dir_fd is None:
                    os.setxattr(target, k, v)
                else:
                    os.setxattr('/proc/self/fd/%d/%s' % (dir_fd, target), k, v, follow_symlinks=False)
            except OSError as e:
                warn('%s: extended attribute %s not restored: %s' % (show(n.rel), k, e.strerror))

    def set_meta(self, n):
        f = self.open_entry(n, os.O_RDONLY)
        try:
            self.set_xattrs(n, f)
            if self.am_root:
                os.fchown(f, n.uid, n.gid)  # before chmod: chown clears setuid/setgid
            os.fchmod(f, n.mode & ~self.umask)
            self.set_xattrs(n, f, acls=True)
            os.utime(f, ns=(n.mtime, n.mtime))
        finally:
            os.close(f)


def remove_tree(path):
    """Removes a partial restore: makes every directory writable first (modes may already be set), never
    following a symlink."""
    def fix(fd):
        for e in os.scandir(fd):
            if e.is_dir(follow_symlinks=False):
                try:
                    os.chmod(e.name, 0o700, dir_fd=fd)
                    sub = os.open(e.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
                except OSError:
                    continue
                try:
                    fix(sub)
                finally:
                    os.close(sub)
    try:
        os.chmod(path, 0o700)
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            fix(fd)
        finally:
            os.close(fd)
    except OSError:
        pass
    shutil.rmtree(path, ignore_errors=True)
    if os.path.lexists(path):
        warn('could not remove the partial restore %s' % path)


# ---------------------------------------------------------------- commands

def cmd_snapshots(repo, args):
    for s in repo.snapshots():
        print('%s  %s  %s  %s%s' % (s['id'], s['time'], s.get('host', ''), ' '.join(s.get('paths', [])),
                                   '  (incomplete)' if s.get('incomplete') else ''))


def cmd_ls(repo, args):
    snap = Snapshot(repo, repo.resolve(args.snapshot))
    out = sys.stdout
    for n in snap.walk():
        line = show(n.rel)
        if n.type == 'dir':
            line += '/'
        elif n.type == 'symlink':
            line += ' -> ' + n.target
        out.write(line + '\n')


def cmd_restore(repo, args):
    s = repo.resolve(args.snapshot)
    if s.get('incomplete'):
        warn('snapshot %s is incomplete: %d path(s) were skipped when it was made' %
             (s['id'], len(s.get('skipped', []) or [])))
    snap = Snapshot(repo, s)
    r = Restorer(repo, snap, args.include or [])
    count = r.run(args.target)
    print('restored %d entries of snapshot %s into %s' % (count, s['id'], args.target), file=sys.stderr)


def main(argv=None):
    ap = argparse.ArgumentParser(prog='bkv-restore.py', description=__doc__.split('\n\n')[0],
                                 epilog='\n\n'.join(__doc__.split('\n\n')[1:]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--identity', required=True, metavar='FILE', help='the age identity (bkv key age-identity)')
    ap.add_argument('--repo', required=True, metavar='DIR', help='a directory copy of the repository')
    sub = ap.add_subparsers(dest='cmd', required=True)
    sub.add_parser('snapshots', help='list snapshots, newest last')
    p = sub.add_parser('ls', help='list the paths of a snapshot')
    p.add_argument('snapshot')
    p = sub.add_parser('restore', help='restore a snapshot into a fresh TARGET')
    p.add_argument('snapshot')
    p.add_argument('target')
    p.add_argument('--include', action='append', metavar='PATH')
    args = ap.parse_args(argv)

    def on_term(signum, frame):
        raise Interrupted()
    signal.signal(signal.SIGTERM, on_term)
    try:
        if not os.path.isfile(args.identity):
            raise usage('--identity %s: no such file' % args.identity)
        repo = Repo(args.repo, args.identity)
        repo.check_config()
        if args.cmd == 'snapshots':
            cmd_snapshots(repo, args)
        else:
            repo.load_index()
            (cmd_ls if args.cmd == 'ls' else cmd_restore)(repo, args)
        return 0
    except Fail as e:
        print('bkv-restore: %s' % e, file=sys.stderr)
        return e.code
    except (KeyboardInterrupt, Interrupted):
        print('bkv-restore: interrupted; nothing was left in the target', file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except OSError as e:
        where = ': ' + os.fsdecode(e.filename) if e.filename is not None else ''
        print('bkv-restore: %s%s' % (e.strerror or e, where), file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
