// `bkv encrypt --key-file F` and `bkv decrypt --key-file F`: stream stdin to stdout through the backup file
// format (age v1 to the recipient derived from the 64-digit key in F), without any server. Exit codes
// (client/cli/exit.ts): 2 bad arguments or key file, 3 wrong key, 5 damaged or not a backup file, 1 i/o failure.
// After a failed decrypt, what was written to stdout is incomplete (only whole authenticated chunks): discard it.

import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createBackupDecryptStream, createBackupEncryptStream } from '../../backup-crypto.js';
import { BackupKey } from '../../backup-key.js';
import { ClientError, errnoText, fileSystemError, isClientError } from '../../errors.js';
import { stdinStream } from '../stdio.js';
import { cryptoWorkers, reportRedone } from '../workers.js';
import { MAX_KEY_TEXT_BYTES } from './key.js';

export interface CryptFlags {
  keyFile: string;
}

/** Reads and parses the 64-digit key in `path`; never echoes its content. */
export async function readKeyFile(path: string): Promise<BackupKey> {
  const file = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'EISDIR') {
      throw new ClientError('usage', `cannot read key file ${path}: ${errnoText(e.code)}`, { path, errno: e.code }, { cause: e });
    }
    throw fileSystemError(e, 'read key file', path);
  });
  try {
    // Read from the current position to the end, so a pipe (`--key-file <(…)`) works too.
    const buf = Buffer.alloc(MAX_KEY_TEXT_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await file.read(buf, length, buf.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_KEY_TEXT_BYTES) throw new ClientError('usage', 'key file is too long for a 64-digit key', { path });
    }
    return BackupKey.parse(buf.subarray(0, length).toString('utf8'));
  } finally {
    await file.close();
  }
}

/** The same kinds, with what they mean for `bkv decrypt`. */
function explain(e: unknown): unknown {
  if (isClientError(e, 'wrong-key')) return new ClientError('wrong-key', 'wrong key: this file was not encrypted under this 64-digit key', {}, { cause: e });
  if (!isClientError(e, 'damaged')) return e;
  const what = e.details.check === 'header' ? 'not a backup file, or its header is damaged' : 'the file is damaged or was tampered with';
  return new ClientError('damaged', `${what} (${e.message})`, e.details, { cause: e });
}

export async function encryptCommand(flags: CryptFlags): Promise<void> {
  const key = await readKeyFile(flags.keyFile);
  if (process.stdout.isTTY) throw new ClientError('usage', 'refusing to write an encrypted file to a terminal: redirect stdout');
  const stream = createBackupEncryptStream(key, { workers: cryptoWorkers(process.env) });
  await pipeline(stdinStream(), stream, process.stdout);
  reportRedone(stream);
}

export async function decryptCommand(flags: CryptFlags): Promise<void> {
  const key = await readKeyFile(flags.keyFile);
  const stream = createBackupDecryptStream(key, { workers: cryptoWorkers(process.env) });
  await pipeline(stdinStream(), stream, process.stdout).catch((e: unknown) => {
    throw explain(e);
  });
  reportRedone(stream);
}
