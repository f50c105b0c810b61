// Child process of bench/crypto.ts: streams stdin through our backup encrypt or decrypt to stdout, like
// `bkv encrypt|decrypt --key-file`, then reports its own pipeline time and peak RSS as JSON on stderr.
// Usage (bench/crypto.ts bundles it first): node crypto-child.mjs encrypt|decrypt <key-file>

import { readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createBackupDecryptStream, createBackupEncryptStream } from '../client/backup-crypto.js';
import { parseBackupKey } from '../client/backup-key.js';

const [mode, keyFile] = process.argv.slice(2);
const key = parseBackupKey(readFileSync(keyFile!, 'utf8'));
const started = performance.now();
await pipeline(process.stdin, mode === 'encrypt' ? createBackupEncryptStream(key) : createBackupDecryptStream(key), process.stdout);
const seconds = (performance.now() - started) / 1000;
process.stderr.write(`${JSON.stringify({ seconds, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
