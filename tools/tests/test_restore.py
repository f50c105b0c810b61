"""Tests of tools/bkv-restore.py against repositories written by fixture.py (python3 -m unittest discover -s
tools/tests). Needs the `age` CLI (Debian package `age`)."""

import importlib.util
import io
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import unittest
import zlib
from contextlib import redirect_stderr, redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture  # noqa: E402
from fixture import Writer, new_id  # noqa: E402

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'bkv-restore.py')
ROOT = os.geteuid() == 0
KEYS = None
MODULE = None


def setUpModule():
    global KEYS, KEYDIR
    KEYDIR = tempfile.mkdtemp(prefix='bkv-restore-keys-')
    ident = os.path.join(KEYDIR, 'identity.txt')
    other = os.path.join(KEYDIR, 'other.txt')
    KEYS = (ident, fixture.keygen(ident), other, fixture.keygen(other))
    global MODULE
    MODULE = load_module()


def tearDownModule():
    shutil.rmtree(KEYDIR, ignore_errors=True)


def load_module():
    spec = importlib.util.spec_from_file_location('bkv_restore', SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='bkv-restore-test-')
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.repo = os.path.join(self.tmp, 'repo')
        self.out = os.path.join(self.tmp, 'out')  # everything a restore may create is in here
        os.mkdir(self.out)
        self.w = Writer(self.repo, KEYS[1])
        self.w.config()

    # Most runs call main() in this process (a Python start-up per run would make the suite slow); the round
    # trip and the identity test run the script as a program.
    subprocess_ = False

    def run_tool(self, *args, identity=None):
        argv = ['--identity', identity or KEYS[0], '--repo', self.repo] + list(args)
        if self.subprocess_:
            return subprocess.run([sys.executable, SCRIPT] + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  umask=0o022)
        out, err = io.StringIO(), io.StringIO()
        old_umask, old_term = os.umask(0o022), signal.getsignal(signal.SIGTERM)
        try:
            with redirect_stdout(out), redirect_stderr(err):
                code = MODULE.main(argv)
        finally:
            os.umask(old_umask)
            signal.signal(signal.SIGTERM, old_term)
        return subprocess.CompletedProcess(argv, code, out.getvalue().encode(), err.getvalue().encode())

    def restore(self, snap, *extra, target='t'):
        return self.run_tool('restore', snap, os.path.join(self.out, target), *extra)

    def assertOk(self, p):
        self.assertEqual(p.returncode, 0, p.stderr.decode())

    def assertRefused(self, p, code, fragment):
        err = p.stderr.decode()
        self.assertEqual(p.returncode, code, err)
        lines = err.strip().splitlines()
        self.assertTrue(lines and lines[-1].startswith('bkv-restore: '), err)
        self.assertIn(fragment, lines[-1])
        # nothing written: no target, no partial directory, nothing anywhere beside the repository
        self.assertEqual(os.listdir(self.out), [])
        self.assertEqual(sorted(os.listdir(self.tmp)), ['out', 'repo'])


class RoundTrip(Base):
    subprocess_ = True

    def build(self):
        w = self.w
        big = os.urandom(200_000)  # several age STREAM chunks
        text = b'hello world, ' * 20000  # compresses
        nodes = [
            w.file('empty', []),
            w.file('multi', [big[:70_000], text, big[70_000:]]),  # mixed: stored as is and compressed
            w.file('plain', [b'just bytes'], z=0, mode=0o600, mtime=1234567890987654321),
            w.file('zipped', [b'a' * 5000], z=1, mode=0o755),
            w.file('dedup', [b'x' * 1000, b'y' * 10, b'x' * 1000]),
            w.file('setuid', [b'#!/bin/sh\n'], mode=0o4755),
            w.file('setgid', [b'g'], mode=0o2750),
            w.file('old', [b'1969'], mtime=-1000000001),
            w.file('link1', [b'same inode'], inode=4242, links=2),
            w.symlink('abs', '/etc/passwd'),
            w.symlink('rel', 'sub/f'),
            w.symlink('dangling', 'does/not/exist'),
            w.symlink('up', '../../outside'),
            w.dir('sticky', [w.file('s', [b's'])], mode=0o1777),
            w.dir('ro', [w.file('r', [b'r'], mode=0o444)], mode=0o555),
        ]
        w.flush()  # a second data pack
        sub = w.dir('sub', [
            w.file('f', [big[:1000]]),
            w.file('link2', [b'same inode'], inode=4242, links=2),
            w.dir('deeper', [w.dir('deepest', [w.file('leaf', [b'leaf'])], mtime=1111111111222222222)]),
            w.dir('emptydir', [], mode=0o700),
        ], mtime=1222222222333333333)
        owned = [w.file('owned', [b'o'], uid=1234, gid=2345)] if ROOT else []
        top = w.dir('top', nodes + [sub] + owned, mode=0o750, mtime=1333333333444444444)
        other = w.file('rootfile', [b'second path'])
        return w.snapshot([top, other], paths=['/home/u/top', '/rootfile']), big, text

    def test_round_trip(self):
        snap, big, text = self.build()
        p = self.restore(snap)
        self.assertOk(p)
        t = os.path.join(self.out, 't')
        self.assertEqual(sorted(os.listdir(self.out)), ['t'])
        self.assertEqual(sorted(os.listdir(t)), ['rootfile', 'top'])
        self.assertEqual(stat.S_IMODE(os.stat(t).st_mode), 0o755)
        top = os.path.join(t, 'top')

        def read(rel):
            with open(os.path.join(top, rel), 'rb') as f:
                return f.read()

        def mode(rel):
            return stat.S_IMODE(os.lstat(os.path.join(top, rel)).st_mode)

        def mtime(rel):
            return os.lstat(os.path.join(top, rel)).st_mtime_ns

        self.assertEqual(read('empty'), b'')
        self.assertEqual(read('multi'), big[:70_000] + text + big[70_000:])
        self.assertEqual(read('plain'), b'just bytes')
        self.assertEqual(read('zipped'), b'a' * 5000)
        self.assertEqual(read('dedup'), b'x' * 1000 + b'y' * 10 + b'x' * 1000)
        self.assertEqual(read('sub/f'), big[:1000])
        self.assertEqual(read('sub/deeper/deepest/leaf'), b'leaf')
        with open(os.path.join(t, 'rootfile'), 'rb') as f:
            self.assertEqual(f.read(), b'second path')
        # modes: files and directories with the umask (022) applied
        self.assertEqual(mode('plain'), 0o600)
        self.assertEqual(mode('zipped'), 0o755)
        self.assertEqual(mode('setuid'), 0o4755)
        self.assertEqual(mode('setgid'), 0o2750)
        self.assertEqual(mode('sticky'), 0o1755)
        self.assertEqual(mode('ro'), 0o555)
        self.assertEqual(mode('ro/r'), 0o444)
        self.assertEqual(mode('sub/emptydir'), 0o700)
        self.assertEqual(mode('.'), 0o750)
        # times with nanoseconds, directories too (set last), symlinks not followed
        self.assertEqual(mtime('plain'), 1234567890987654321)
        self.assertEqual(mtime('old'), -1000000001)
        self.assertEqual(mtime('empty'), 1700000000123456789)
        self.assertEqual(mtime('.'), 1333333333444444444)
        self.assertEqual(mtime('sub'), 1222222222333333333)
        self.assertEqual(mtime('sub/deeper/deepest'), 1111111111222222222)
        self.assertEqual(mtime('sub/deeper'), 1600000000987654321)
        self.assertEqual(mtime('abs'), 1500000000000000001)
        self.assertEqual(mtime('dangling'), 1500000000000000001)
        # symlinks exactly as stored
        for name, target in [('abs', '/etc/passwd'), ('rel', 'sub/f'), ('dangling', 'does/not/exist'),
                             ('up', '../../outside')]:
            self.assertTrue(stat.S_ISLNK(os.lstat(os.path.join(top, name)).st_mode))
            self.assertEqual(os.readlink(os.path.join(top, name)), target)
        self.assertFalse(os.path.lexists(os.path.join(self.tmp, 'outside')))
        # hard links
        a, b = os.stat(os.path.join(top, 'link1')), os.stat(os.path.join(top, 'sub/link2'))
        self.assertEqual((a.st_ino, a.st_nlink), (b.st_ino, 2))
        self.assertEqual(read('sub/link2'), b'same inode')
        if ROOT:
            st = os.lstat(os.path.join(top, 'owned'))
            self.assertEqual((st.st_uid, st.st_gid), (1234, 2345))

    def test_each_pack_fetched_once(self):
        snap, _, _ = self.build()
        fetched = []
        real = MODULE.Repo.pack

        def pack(repo, pid):
            fetched.append(pid)
            return real(repo, pid)
        MODULE.Repo.pack = pack
        self.subprocess_ = False
        try:
            self.assertOk(self.restore(snap))
        finally:
            MODULE.Repo.pack = real
        self.assertEqual(len(fetched), 4)  # two tree packs, two data packs
        self.assertEqual(sorted(fetched), sorted(set(fetched)))

    def test_ls_snapshots_prefix_and_include(self):
        snap, _, _ = self.build()
        older = self.w.snapshot([self.w.file('x', [b'x'])], time='2024-01-01T00:00:00.000Z', incomplete=True)
        p = self.run_tool('snapshots')
        self.assertOk(p)
        lines = p.stdout.decode().splitlines()
        self.assertEqual([l.split()[0] for l in lines], [older, snap])  # newest last
        self.assertIn('(incomplete)', lines[0])
        self.assertIn('/home/u/top /rootfile', lines[1])
        p = self.run_tool('ls', snap[:8])
        self.assertOk(p)
        out = p.stdout.decode().splitlines()
        self.assertIn('top/', out)
        self.assertIn('top/sub/deeper/deepest/leaf', out)
        self.assertIn('top/abs -> /etc/passwd', out)
        p = self.restore('latest', '--include', '/home/u/top/sub/deeper', '--include', 'rootfile')
        self.assertOk(p)
        t = os.path.join(self.out, 't')
        self.assertEqual(sorted(os.listdir(t)), ['rootfile', 'top'])
        self.assertEqual(os.listdir(os.path.join(t, 'top')), ['sub'])
        self.assertEqual(os.listdir(os.path.join(t, 'top', 'sub')), ['deeper'])
        self.assertTrue(os.path.isfile(os.path.join(t, 'top/sub/deeper/deepest/leaf')))
        p = self.restore(snap, '--include', 'top/nothing', target='u')
        self.assertEqual(p.returncode, 2)
        self.assertFalse(os.path.lexists(os.path.join(self.out, 'u')))
        self.assertEqual(self.run_tool('ls', 'abcdef').returncode, 2)  # prefix too short
        self.assertEqual(self.run_tool('ls', '0' * 8 if not snap.startswith('0' * 8) else '1' * 8).returncode, 2)

    def test_target_must_be_fresh(self):
        snap = self.w.snapshot([self.w.file('f', [b'f'])])
        t = os.path.join(self.out, 't')
        os.mkdir(t)
        with open(os.path.join(t, 'keep'), 'wb') as f:
            f.write(b'mine')
        p = self.restore(snap)
        self.assertEqual(p.returncode, 2)
        self.assertIn('not empty', p.stderr.decode())
        self.assertEqual(os.listdir(t), ['keep'])
        os.remove(os.path.join(t, 'keep'))
        self.assertOk(self.restore(snap))  # an empty directory is fine
        self.assertEqual(os.listdir(t), ['f'])

    def test_wrong_identity_and_version(self):
        snap = self.w.snapshot([self.w.file('f', [b'f'])])
        p = self.restore(snap)
        self.assertOk(p)
        shutil.rmtree(os.path.join(self.out, 't'))
        p = self.run_tool('restore', snap, os.path.join(self.out, 't'), identity=KEYS[2])
        self.assertRefused(p, 3, 'wrong identity')
        for name in os.listdir(os.path.join(self.repo, 'config')):
            os.remove(os.path.join(self.repo, 'config', name))
        self.w.config(version=2)
        self.assertRefused(self.restore(snap), 6, 'version 2')


class Index(Base):
    def test_superseded_indexes_are_ignored(self):
        w = self.w
        f = w.file('f', [b'content of f' * 100])
        snap = w.snapshot([f], index=False)
        packs = w.flush()
        # the old index: the same blobs at wrong offsets; it sorts first, so it would be used were it live
        bad = json.loads(json.dumps(packs))
        for p in bad:
            for b in p['blobs']:
                b['o'] += 1
        old = w.index(bad, oid='00' + new_id()[2:])
        self.assertRefused(self.restore(snap), 5, 'trailer does not list blob')
        w.index(packs, supersedes=[old], oid='ff' + new_id()[2:])
        self.assertOk(self.restore(snap))

    def test_missing_blob_and_pack(self):
        w = self.w
        snap = w.snapshot([w.file('f', [b'data'])], index=False)
        packs = w.flush()
        data = [p for p in packs if p['t'] == 'data']
        w.index([p for p in packs if p['t'] == 'tree'])
        self.assertRefused(self.restore(snap), 4, 'not in the index')
        w.index(data)
        os.remove(w.path('data', data[0]['id']))
        self.assertRefused(self.restore(snap), 4, 'missing')


class Forgery(Base):
    def test_wrong_pack_header_hash(self):
        w = self.w
        snap = w.snapshot([w.file('f', [b'data'])], index=False)
        packs = w.flush()
        for p in packs:
            if p['t'] == 'data':
                p['h'] = '0' * 64
        w.index(packs)
        self.assertRefused(self.restore(snap), 5, 'age header does not match the index')

    def test_pack_replaced_by_another_encryption(self):
        # the same plaintext re-encrypted (another file key): same size, another header
        w = self.w
        snap = w.snapshot([w.file('f', [b'data'])], index=False)
        packs = w.flush()
        w.index(packs)
        pid = [p['id'] for p in packs if p['t'] == 'data'][0]
        pt = subprocess.run(['age', '-d', '-i', KEYS[0], w.path('data', pid)], stdout=subprocess.PIPE,
                            check=True).stdout
        with open(w.path('data', pid), 'wb') as f:
            f.write(fixture.age_encrypt(KEYS[1], pt))
        self.assertRefused(self.restore(snap), 5, 'age header does not match')

    def test_pack_served_under_another_id(self):
        w = self.w
        snap = w.snapshot([w.file('f', [b'data'])], index=False)
        packs = w.flush()
        d = [p for p in packs if p['t'] == 'data'][0]
        other = new_id()
        shutil.copy(w.path('data', d['id']), w.path('data', other))
        d['id'] = other  # same bytes, so the header hash matches; only the trailer's id tells
        w.index(packs)
        self.assertRefused(self.restore(snap), 5, 'names itself')

    def test_snapshot_and_index_served_under_another_id(self):
        w = self.w
        snap = w.snapshot([w.file('f', [b'data'])])
        other = new_id()
        shutil.copy(w.path('snapshots', snap), w.path('snapshots', other))
        self.assertRefused(self.restore(other), 5, 'names itself')
        os.remove(w.path('snapshots', other))
        ix = os.listdir(os.path.join(self.repo, 'index'))[0]
        os.rename(w.path('index', ix), w.path('index', new_id()))
        self.assertRefused(self.restore(snap), 5, 'names itself')

    def test_object_for_another_key(self):
        w = self.w
        snap = w.snapshot([w.file('f', [b'data'])])
        with open(w.path('snapshots', snap), 'wb') as f:
            f.write(fixture.age_encrypt(KEYS[3], b'{}'))
        self.assertRefused(self.restore(snap), 5, "not encrypted to this repository's key")

    def test_truncated_and_tampered_objects(self):
        w = self.w
        snap = w.snapshot([w.dir('d', [w.file('a', [b'a' * 100]), w.file('b', [os.urandom(150_000)])])],
                          index=False)
        w.flush()
        packs = list(w.packs)
        w.index()
        data_pack = w.path('data', [p['id'] for p in packs if p['t'] == 'data'][0])
        with open(data_pack, 'rb') as f:
            good = f.read()
        cases = [
            ('truncated', good[:-100], 'truncated or altered'),
            ('one chunk short', good[:-(len(good) - 200_000)] if len(good) > 200_000 else good[:-16], 'truncated'),
            ('flipped', good[:300] + bytes([good[300] ^ 1]) + good[301:], 'damaged or altered'),
            ('appended', good + b'\0', 'truncated or altered'),
        ]
        for name, bad, fragment in cases:
            with self.subTest(name):
                with open(data_pack, 'wb') as f:
                    f.write(bad)
                self.assertRefused(self.restore(snap), 5, fragment)
        with open(data_pack, 'wb') as f:
            f.write(good)
        snap_path = w.path('snapshots', snap)
        with open(snap_path, 'rb') as f:
            s = f.read()
        with open(snap_path, 'wb') as f:
            f.write(s[:-1] + bytes([s[-1] ^ 0x80]))
        self.assertRefused(self.restore(snap), 5, 'damaged or altered')
        with open(snap_path, 'wb') as f:
            f.write(s)
        self.assertOk(self.restore(snap))

    def test_size_mismatch(self):
        w = self.w
        f = w.file('f', [b'12345'])
        f['size'] = 6
        snap = w.snapshot([f])
        self.assertRefused(self.restore(snap), 5, 'size is 6')

    def test_interrupted_restore_leaves_nothing(self):
        w = self.w
        w.file('warm', [])
        nodes = [w.file('a', [b'first pack'])]
        w.flush()
        nodes.append(w.file('b', [b'second pack']))
        snap = w.snapshot([w.dir('d', nodes)])
        mod = load_module()
        calls = []
        real = mod.Repo.pack

        def pack(self, pid):
            calls.append(pid)
            if len(calls) == 3:  # the tree pack, one data pack written, then Ctrl-C
                raise KeyboardInterrupt()
            return real(self, pid)
        mod.Repo.pack = pack
        err = io.StringIO()
        old = os.umask(0o022)
        try:
            with redirect_stderr(err), redirect_stdout(io.StringIO()):
                code = mod.main(['--identity', KEYS[0], '--repo', self.repo, 'restore', snap,
                                 os.path.join(self.out, 't')])
        finally:
            os.umask(old)
        self.assertEqual(code, 130, err.getvalue())
        self.assertEqual(len(calls), 3)
        self.assertEqual(os.listdir(self.out), [])


class CraftedTrees(Base):
    def crafted(self, nodes, sort=False):
        return self.w.snapshot(nodes, sort=sort)

    def test_bad_names(self):
        w = self.w
        for name in ['..', '.', '', 'a/b', '/etc/passwd', 'nul\0byte', '../../escape']:
            with self.subTest(name=name):
                snap = self.crafted([w.dir('d', [w.file(name, [b'evil'])], sort=False)])
                self.assertRefused(self.restore(snap), 5, 'unsafe name')
                self.assertFalse(os.path.lexists(os.path.join(self.tmp, 'escape')))

    def test_duplicates_and_order(self):
        w = self.w
        cases = {
            'duplicate files': [w.file('x', [b'1']), w.file('x', [b'2'])],
            'symlink then dir of the same name': [w.symlink('x', self.tmp),
                                                  w.dir('x', [w.file('planted', [b'evil'])])],
            'dir then symlink': [w.dir('x', []), w.symlink('x', '/')],
            'unsorted': [w.file('b', [b'1']), w.file('a', [b'2'])],
        }
        for case, nodes in cases.items():
            with self.subTest(case):
                snap = self.crafted([w.dir('d', nodes, sort=False)])
                frag = 'not sorted' if case == 'unsorted' else 'duplicate name'
                self.assertRefused(self.restore(snap), 5, frag)
                self.assertFalse(os.path.lexists(os.path.join(self.tmp, 'planted')))
        # the root tree too
        snap = self.crafted([w.symlink('x', self.tmp), w.dir('x', [w.file('planted', [b'evil'])])])
        self.assertRefused(self.restore(snap), 5, 'duplicate name')

    def test_bad_nodes(self):
        w = self.w
        cycle = w.dir('loop', [])
        cases = {
            'unknown type': (dict(w.file('f', [b'1']), type='socket'), 'unknown type'),
            'mode out of range': (dict(w.file('f', [b'1']), mode=0o10000), 'out of range'),
            'mtime not decimal': (dict(w.file('f', [b'1']), mtime='1.5'), 'not a decimal'),
            'symlink with NUL': (w.symlink('s', 'a\0b'), 'NUL'),
            'dir without subtree': ({k: v for k, v in cycle.items() if k != 'subtree'}, "missing 'subtree'"),
            'tree blob from a data pack': (dict(cycle, subtree=w.blob('data', b'{"nodes": []}')), 'another type'),
        }
        for case, (node, frag) in cases.items():
            with self.subTest(case):
                snap = self.crafted([node])
                self.assertRefused(self.restore(snap), 5, frag)

    def test_tree_containing_itself(self):
        # a crafted index naming a tree blob by an id that one of its own subtrees uses
        w = self.w
        tid = new_id()
        inner = {'nodes': [dict(w.meta('again', 'dir', 0o755, 1), subtree=tid)]}
        raw = fixture.dumps(inner)
        w.open['tree'].append((tid, zlib.compress(raw), len(raw), 1))
        root = [dict(w.meta('d', 'dir', 0o755, 1), subtree=tid)]
        snap = self.crafted(root)
        self.assertRefused(self.restore(snap), 5, 'contains itself')


class Limits(Base):
    """docs/repository.md "Limits": what a repository written by someone holding K can claim is bounded before it
    costs memory or time; each refusal leaves nothing behind."""

    def bomb(self, claimed):
        w = self.w
        zeros = bytes(claimed)
        bid = w.blob_id(zeros)
        w.open['data'].append((bid, zlib.compress(zeros, 9), claimed, 1))
        node = dict(w.meta('f', 'file', 0o644, 1), size=claimed, content=[bid])
        return w.snapshot([node])

    def test_blob_claiming_more_than_a_chunk_is_refused_before_it_inflates(self):
        snap = self.bomb(4 * MODULE.MAX_U['data'])
        self.assertRefused(self.restore(snap), 5, 'more than a data blob may hold')

    def test_blob_of_exactly_the_largest_chunk_restores(self):
        snap = self.bomb(MODULE.MAX_U['data'])
        self.assertOk(self.restore(snap))
        self.assertEqual(os.path.getsize(os.path.join(self.out, 't', 'f')), MODULE.MAX_U['data'])

    def doubling(self, levels):
        w = self.w
        nodes = []
        for _ in range(levels):
            tid = w.tree(nodes)
            nodes = [dict(w.meta(n, 'dir', 0o755, 1), subtree=tid) for n in ('a', 'b')]
        return w.snapshot(nodes)

    def test_graph_of_shared_subtrees_is_refused_before_a_node_is_made(self):
        # 31 trees of two entries stand for 2^32 - 2 entries
        snap = self.doubling(31)
        self.assertRefused(self.restore(snap), 5, 'more than 10000000 entries')
        self.assertRefused(self.run_tool('ls', snap), 5, 'more than 10000000 entries')

    def test_graph_within_the_limit_is_listed_whole(self):
        snap = self.doubling(12)
        p = self.run_tool('ls', snap)
        self.assertOk(p)
        self.assertEqual(len(p.stdout.decode().splitlines()), 2 ** 13 - 2)

    def chain(self, levels):
        w = self.w
        nodes = [w.file('f', [b'x'])]
        for _ in range(levels - 1):
            nodes = [dict(w.meta('d', 'dir', 0o755, 1), subtree=w.tree(nodes))]
        return w.snapshot(nodes)

    def test_depth(self):
        p = self.run_tool('ls', self.chain(MODULE.MAX_DEPTH))
        self.assertOk(p)
        self.assertEqual(len(p.stdout.decode().splitlines()), MODULE.MAX_DEPTH)
        self.assertRefused(self.run_tool('ls', self.chain(MODULE.MAX_DEPTH + 1)), 5, 'nested more than 2048 levels')


if __name__ == '__main__':
    unittest.main()
