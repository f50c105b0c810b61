"""A small writer of bkv repositories (docs/repository.md, version 1) for the restorer's tests.

Standard library and the `age` CLI only (`age -r RECIPIENT`; the identity comes from `age-keygen`). It writes
what the spec says a writer writes, and lets a test write what it must not (unsorted trees, bad names, wrong
header hashes, objects under another id) to check that the restorer refuses them.
"""

import hashlib
import hmac
import json
import os
import struct
import subprocess
import zlib


def new_id():
    return os.urandom(32).hex()


def keygen(path):
    """Writes an age identity to path and returns its recipient (age1...)."""
    subprocess.run(['age-keygen', '-o', path], check=True, stderr=subprocess.DEVNULL)
    return subprocess.run(['age-keygen', '-y', path], check=True, stdout=subprocess.PIPE).stdout.decode().strip()


def age_encrypt(recipient, plaintext):
    return subprocess.run(['age', '-r', recipient], input=plaintext, stdout=subprocess.PIPE, check=True).stdout


def header_length(ct):
    i = ct.index(b'\n--- ')
    return ct.index(b'\n', i + 1) + 1


def dumps(obj):
    return json.dumps(obj, separators=(',', ':'), ensure_ascii=False).encode('utf-8')


class Writer:
    def __init__(self, root, recipient):
        self.root = root
        self.recipient = recipient
        self.blob_key = os.urandom(32)
        self.open = {'data': [], 'tree': []}  # blobs waiting for a pack: (id, stored bytes, u, z)
        self.packs = []  # index entries of packs written and not yet in an index
        for t in ('config', 'snapshots', 'index', 'data'):
            os.makedirs(os.path.join(root, t), exist_ok=True)

    # -- objects

    def put(self, t, oid, plaintext):
        ct = age_encrypt(self.recipient, plaintext)
        with open(os.path.join(self.root, t, oid), 'wb') as f:
            f.write(ct)
        return ct

    def path(self, t, oid):
        return os.path.join(self.root, t, oid)

    def config(self, version=1, oid=None):
        oid = oid or new_id()
        self.put('config', oid, dumps({'version': version, 'id': oid, 'created': '2025-01-01T00:00:00.000Z',
                                       'chunker': {'min': 262144, 'avg': 524288, 'max': 4194304}}))
        return oid

    # -- blobs and packs

    def blob_id(self, data):
        return hmac.new(self.blob_key, data, hashlib.sha256).hexdigest()

    def blob(self, t, data, z=None):
        """Queues a blob for the current pack of its type; z None: compress when 1/16 smaller (trees always)."""
        bid = self.blob_id(data)
        packed = zlib.compress(data)
        if z is None:
            z = 1 if t == 'tree' or len(packed) <= len(data) - len(data) // 16 else 0
        self.open[t].append((bid, packed if z else data, len(data), z))
        return bid

    def flush(self, pack_id=None):
        """Writes the open blobs as packs (one per type) and returns their index entries."""
        out = []
        for t in ('tree', 'data'):
            blobs, self.open[t] = self.open[t], []
            if not blobs:
                continue
            pid = pack_id or new_id()
            body, entries, seen = b'', [], set()
            for bid, stored, u, z in blobs:
                if bid in seen:
                    continue
                seen.add(bid)
                entries.append({'id': bid, 't': t, 'o': len(body), 'l': len(stored), 'u': u, 'z': z})
                body += stored
            trailer = dumps({'id': pid, 'blobs': entries})
            ct = self.put('data', pid, body + trailer + struct.pack('<I', len(trailer)))
            entry = {'id': pid, 't': t, 'size': len(ct), 'h': hashlib.sha256(ct[:header_length(ct)]).hexdigest(),
                     'blobs': [{k: e[k] for k in ('id', 'o', 'l', 'u', 'z')} for e in entries]}
            out.append(entry)
            self.packs.append(entry)
        return out

    def index(self, packs=None, supersedes=(), oid=None):
        self.flush()
        if packs is None:
            packs, self.packs = self.packs, []
        oid = oid or new_id()
        self.put('index', oid, dumps({'version': 1, 'id': oid, 'supersedes': list(supersedes), 'packs': packs}))
        return oid

    # -- trees

    def tree(self, nodes, sort=True):
        if sort:
            nodes = sorted(nodes, key=lambda n: n['name'].encode('utf-8'))
        return self.blob('tree', dumps({'nodes': nodes}))

    @staticmethod
    def meta(name, type_, mode, mtime, uid=None, gid=None):
        return {'name': name, 'type': type_, 'mode': mode, 'mtime': str(mtime),
                'uid': os.getuid() if uid is None else uid, 'gid': os.getgid() if gid is None else gid}

    def file(self, name, chunks=(), mode=0o644, mtime=1700000000123456789, z=None, inode=None, links=1, **kw):
        """A file node; chunks: the file's content as a list of byte strings (each one blob)."""
        n = self.meta(name, 'file', mode, mtime, kw.pop('uid', None), kw.pop('gid', None))
        n['size'] = sum(len(c) for c in chunks)
        n['content'] = [self.blob('data', c, z) for c in chunks]
        n['ctime'] = str(mtime)
        if links > 1:
            n['inode'], n['links'] = str(inode), links
        n.update(kw)
        return n

    def dir(self, name, nodes, mode=0o755, mtime=1600000000987654321, sort=True, **kw):
        n = self.meta(name, 'dir', mode, mtime, kw.pop('uid', None), kw.pop('gid', None))
        n['subtree'] = self.tree(nodes, sort)
        n.update(kw)
        return n

    def symlink(self, name, target, mtime=1500000000000000001, **kw):
        n = self.meta(name, 'symlink', 0o777, mtime, kw.pop('uid', None), kw.pop('gid', None))
        n['target'] = target
        n.update(kw)
        return n

    def snapshot(self, root_nodes, paths=None, time='2025-01-02T03:04:05.678Z', oid=None, sort=True,
                 incomplete=False, host='host1', index=True):
        tree = self.tree(root_nodes, sort)
        if index:
            self.index()
        oid = oid or new_id()
        paths = paths if paths is not None else sorted('/src/' + n['name'] for n in root_nodes)
        self.put('snapshots', oid, dumps({
            'version': 1, 'id': oid, 'time': time, 'host': host, 'user': 'u', 'paths': paths, 'tags': [],
            'tree': tree, 'parent': None, 'incomplete': incomplete,
            'skipped': [{'path': '/src/x', 'error': 'EACCES'}] if incomplete else [],
            'summary': {'files': 0, 'dirs': 0, 'symlinks': 0, 'bytes': 0, 'newBytes': 0, 'uploadedBytes': 0}}))
        return oid
