// Where a password comes from when no one types it, for scripts (restic's --password-file/--password-command):
//   --password-file F        the first line of F (the vault password: init's new one, restore's, key fetch's,
//                            passwd's current one)
//   --password-command CMD   the first line of what `sh -c CMD` prints on stdout (exit 0 required; its stderr
//                            goes to the terminal, so a password manager can ask there)
//   --new-password-file F / --new-password-command CMD   the same for `bkv passwd`'s new password
// These win over BKV_PASSWORD / BKV_NEW_PASSWORD, which win over the prompt. At most MAX_PASSWORD_SOURCE_BYTES
// are read; an empty line is refused. The password is never printed, not even in an error.

import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { ClientError, fileSystemError } from '../errors.js';

/** More than any password: a file or command output longer than this is refused, not read to its end. */
export const MAX_PASSWORD_SOURCE_BYTES = 4096;

export interface PasswordSource {
  file?: string;
  command?: string;
  /** The option names, for messages. */
  names: { file: string; command: string };
}

function firstLine(text: string, from: string): string {
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  if (line === '') throw new ClientError('usage', `${from} gives an empty password`);
  return line;
}

async function readBounded(path: string, option: string): Promise<string> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw fileSystemError(e, `read ${option}`, path);
  }
  try {
    const buf = Buffer.alloc(MAX_PASSWORD_SOURCE_BYTES + 1);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    if (bytesRead > MAX_PASSWORD_SOURCE_BYTES) throw new ClientError('usage', `${option} ${path} is longer than ${MAX_PASSWORD_SOURCE_BYTES} bytes: not a password file`);
    return buf.subarray(0, bytesRead).toString('utf8');
  } catch (e) {
    if (e instanceof ClientError) throw e;
    throw fileSystemError(e, `read ${option}`, path);
  } finally {
    await fh.close();
  }
}

function runCommand(command: string, option: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'inherit'] });
    const parts: Buffer[] = [];
    let length = 0;
    let tooLong = false;
    child.stdout.on('data', (b: Buffer) => {
      length += b.length;
      if (length > MAX_PASSWORD_SOURCE_BYTES) {
        tooLong = true;
        child.kill('SIGTERM');
        return;
      }
      parts.push(b);
    });
    child.on('error', (e) => reject(new ClientError('usage', `${option} could not run: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (tooLong) reject(new ClientError('usage', `${option} printed more than ${MAX_PASSWORD_SOURCE_BYTES} bytes: not a password`));
      else if (code !== 0) reject(new ClientError('usage', `${option} failed (${signal ? `killed by ${signal}` : `exit ${String(code)}`}); no password was read`));
      else resolve(Buffer.concat(parts).toString('utf8'));
    });
  });
}

/** The password the flags give, or undefined when they give none. */
export async function passwordFromSource(source: PasswordSource): Promise<string | undefined> {
  if (source.file !== undefined && source.command !== undefined) {
    throw new ClientError('usage', `choose one of ${source.names.file} and ${source.names.command}`);
  }
  if (source.file !== undefined) return firstLine(await readBounded(source.file, source.names.file), `${source.names.file} ${source.file}`);
  if (source.command !== undefined) return firstLine(await runCommand(source.command, source.names.command), source.names.command);
  return undefined;
}
