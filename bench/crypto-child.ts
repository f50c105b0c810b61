// Child process of bench/crypto.ts: streams stdin through our backup encrypt or decrypt to stdout, like
// `bkv encrypt|decrypt --key-file`, then reports its own pipeline time and peak RSS as JSON on stderr.
// Usage (bench/crypto.ts bundles it first): node crypto-child.mjs encrypt|decrypt <key-file> [workers]

import { existsSync, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createBackupDecryptStream, createBackupEncryptStream } from '../client/backup-crypto.js';
import { parseBackupKey } from '../client/backup-key.js';
import { stdinStream } from '../client/cli/stdio.js';

const [mode, keyFile, workers] = process.argv.slice(2);
const options = workers === undefined ? {} : { workers: Number(workers) };
const key = parseBackupKey(readFileSync(keyFile!, 'utf8'));
const started = performance.now();
await pipeline(stdinStream(), mode === 'encrypt' ? createBackupEncryptStream(key, options) : createBackupDecryptStream(key, options), process.stdout);
const seconds = (performance.now() - started) / 1000;
// VmHWM is this process's own peak; getrusage's maxrss can carry the parent's RSS across fork + exec.
const hwm = /VmHWM:\s+(\d+) kB/.exec(existsSync('/proc/self/status') ? readFileSync('/proc/self/status', 'utf8') : '');
process.stderr.write(`${JSON.stringify({ seconds, maxRssKiB: hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS })}\n`);
