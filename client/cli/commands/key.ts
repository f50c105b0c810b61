// `bkv key new` and `bkv key age-identity`: the 64-digit-key tools, which need no server. `new` prints a fresh
// 64-digit key (K); `age-identity` reads a 64-digit key on stdin and prints the `AGE-SECRET-KEY-1…` identity
// that decrypts every backup made under it with the standard `age` tool (`age -d -i`). Both print secrets on
// purpose, to stdout only; nothing else ever prints K.

import { ClientError } from '../../errors.js';
import { backupAgeIdentity, backupAgeRecipient } from '../../backup-crypto.js';
import { BackupKey } from '../../backup-key.js';

/** Longest 64-digit-key text read (64 digits with generous separators and line breaks). */
export const MAX_KEY_TEXT_BYTES = 1024;

/** Reads at most MAX_KEY_TEXT_BYTES of text from `input` to its end. */
export async function readKeyText(input: NodeJS.ReadableStream, what: string): Promise<string> {
  const parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of input) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    length += b.length;
    if (length > MAX_KEY_TEXT_BYTES) throw new ClientError('usage', `${what} is too long for a 64-digit key`);
    parts.push(b);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** `--json`: `{ "key": "xxxx-…" }`. */
export function keyNew(out: NodeJS.WritableStream = process.stdout, flags: { json?: boolean } = {}): void {
  if (process.stdout.isTTY) process.stderr.write('a new 64-digit key. anyone who has it can read backups made with it: keep it offline.\n');
  const key = BackupKey.generate().format();
  out.write(flags.json ? `${JSON.stringify({ key })}\n` : `${key}\n`);
}

/** `--json`: `{ "identity": "AGE-SECRET-KEY-1…", "recipient": "age1…" }`. */
export async function keyAgeIdentity(input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin, flags: { json?: boolean } = {}): Promise<void> {
  if (input.isTTY) process.stderr.write('type or paste the 64-digit key, then press ctrl-d\n');
  const key = BackupKey.parse(await readKeyText(input, 'stdin'));
  process.stdout.write(flags.json ? `${JSON.stringify({ identity: backupAgeIdentity(key), recipient: backupAgeRecipient(key) })}\n` : `${backupAgeIdentity(key)}\n`);
}
