// Command-line options every `bkv` command takes, before or after the subcommand (`bkv --account alice backup
// /x` and `bkv backup /x --account alice` are the same): they are declared once, on the program, and commander
// recognises a program's options anywhere on the line; each action reads them merged with its own
// (`optsWithGlobals`). Kept apart from session.ts so that registering the commands loads nothing heavy.

import type { Command } from 'commander';
import { LOCAL_DEFAULT_ACCOUNT } from '../../protocol/constants.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:8787';
export const DEFAULT_ACCOUNT = LOCAL_DEFAULT_ACCOUNT;

export interface ConnectionFlags {
  server?: string;
  account?: string;
  /** Where a password comes from instead of a prompt (client/cli/password-source.ts). */
  passwordFile?: string;
  passwordCommand?: string;
  newPasswordFile?: string;
  newPasswordCommand?: string;
}

export interface OutputFlags {
  json?: boolean;
  quiet?: boolean;
}

/** Adds the global options to the program. */
export function globalOptions(program: Command): Command {
  return program
    .option('--server <url>', `server URL (env BKV_SERVER, default ${DEFAULT_SERVER})`)
    .option('--account <id>', `account for the local runtime's scripts shortcut (BKV_LOCAL_SECRET_FILE; env BKV_ACCOUNT, default ${DEFAULT_ACCOUNT})`)
    .option('--password-file <file>', 'read the password from the first line of this file instead of asking')
    .option('--password-command <command>', 'run this shell command and take the first line of its output as the password')
    .option('--new-password-file <file>', 'bkv passwd: read the new password from this file')
    .option('--new-password-command <command>', 'bkv passwd: take the new password from this command\'s output')
    .option('--json', 'print results as JSON (commands that print results)')
    .option('--quiet', 'print no progress and no summary');
}
