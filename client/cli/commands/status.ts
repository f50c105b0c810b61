// `bkv status`: this device (key or not), the vault (registered, attempts remaining, locked) and the committed
// backups. `--json` prints the same as one JSON object for scripts. Never prints the key or the token.

import { formatBytes } from '../progress.js';
import { type ConnectionFlags } from '../options.js';
import { Session } from '../session.js';

export interface StatusFlags extends ConnectionFlags {
  json?: boolean;
}

export async function status(flags: StatusFlags, session = new Session(flags)): Promise<void> {
  const [hasKey, config, server, account] = await Promise.all([
    session.device.hasKey(), session.config(), session.server(), session.account(),
  ]);
  const vault = await session.vaultStatus();
  const backups = await (await session.backups()).list();
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({
      device: { home: session.device.home, hasKey, protection: config.protection ?? null },
      server, account, vault, backups,
    })}\n`);
    return;
  }
  const lines = [
    `device:   ${hasKey ? `has the backup key${config.protection ? ` (kept ${config.protection === 'password' ? 'behind a password in the vault' : 'as a 64-digit key'})` : ''}` : 'no backup key'} · ${session.device.home}`,
    `server:   ${server}`,
    `account:  ${account}`,
    `vault:    ${!vault.registered ? 'no key kept'
      : vault.locked ? 'locked: the key was destroyed after too many wrong passwords'
      : `key kept, ${vault.attemptsRemaining} of ${vault.maxAttempts} password attempts left${vault.attemptsRemaining === 1 ? ' (the next wrong password destroys it)' : ''}`}`,
    `backups:  ${backups.length === 0 ? 'none' : backups.length}`,
    ...backups.map((b) => `  ${b.backupId}  ${b.createdAt}  ${formatBytes(b.size)}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
