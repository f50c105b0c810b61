// Command-line options shared by the server-facing `bkv` commands, kept apart from session.ts so that
// registering the commands loads nothing heavy.

import type { Command } from 'commander';
import { LOCAL_DEFAULT_ACCOUNT } from '../../protocol/constants.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:8787';
export const DEFAULT_ACCOUNT = LOCAL_DEFAULT_ACCOUNT;

export interface ConnectionFlags {
  server?: string;
  account?: string;
}

/** Adds `--server` and `--account` to a command. */
export function connectionOptions(cmd: Command): Command {
  return cmd
    .option('--server <url>', `server URL (env BKV_SERVER, default ${DEFAULT_SERVER})`)
    .option('--account <id>', `account for the local runtime's scripts shortcut (BKV_LOCAL_SECRET_FILE; env BKV_ACCOUNT, default ${DEFAULT_ACCOUNT})`);
}
