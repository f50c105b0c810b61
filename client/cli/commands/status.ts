// `bkv status`: this device (key or not), who it is signed in as and until when, the vault (registered, attempts
// remaining, locked) and the committed backups. `--json` prints the same as one JSON object for scripts. Never
// prints the key or a token. Signed out, it says so and exits 1 ("sign in with bkv login").

import { formatBytes } from '../progress.js';
import { type ConnectionFlags } from '../options.js';
import { Session } from '../session.js';
import { guardians } from '../realm-pin.js';
import { realmLines } from '../realm-lines.js';
import { describeSignIn } from './logout.js';

export interface StatusFlags extends ConnectionFlags {
  json?: boolean;
}

export async function status(flags: StatusFlags, session = new Session(flags)): Promise<void> {
  const server = await session.server();
  const signIn = session.usesSignIn() ? await session.signIn() : undefined;
  if (session.usesSignIn() && !signIn) {
    if (!flags.json) {
      const owners = (await session.device.owners()).length;
      process.stdout.write(`device:   ${owners ? `backup keys of ${owners} account${owners === 1 ? '' : 's'}` : 'no backup key'} · ${session.device.home}\nserver:   ${server}\nsigned in: no\n`);
    }
    throw await session.signInRequired(server);
  }
  const account = await session.account();
  // this account's key only: a key the device keeps for another account is not this one's (client/device.ts)
  const owner = await session.owner();
  const [hasKey, protection] = [await session.device.hasKey(owner), await session.device.protection(owner)];
  const config = { protection };
  const vault = await session.vaultStatus();
  const repo = await (await session.repoStore()).status();
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({
      device: { home: session.device.home, hasKey, protection: config.protection ?? null },
      server, account, vault, repository: repo,
      signIn: signIn ? {
        subject: signIn.subject, name: signIn.name ?? null, issuer: signIn.config.issuer, tokenExpiresAt: new Date(signIn.expiresAt).toISOString(),
        renews: Boolean(signIn.refreshToken), until: signIn.refreshExpiresAt ? new Date(signIn.refreshExpiresAt).toISOString() : null,
      } : null,
    })}\n`);
    return;
  }
  const lines = [
    `device:   ${hasKey ? `has the backup key${config.protection ? ` (kept ${config.protection === 'password' ? 'behind a password in the vault' : 'as a 64-digit key'})` : ''}` : 'no backup key'} · ${session.device.home}`,
    `server:   ${server}`,
    `account:  ${account}`,
    ...(signIn ? [`signed in: ${describeSignIn(signIn)} (${signIn.config.issuer})`] : []),
    `vault:    ${!vault.registered ? 'no key kept'
      : vault.locked ? 'locked: the key was destroyed after too many wrong passwords'
      : `key kept, ${vault.attemptsRemaining} of ${vault.maxAttempts} password attempts left${vault.attemptsRemaining === 1 ? ' (the next wrong password destroys it)' : ''}`}`,
    ...(vault.realms ? [
      `guarded by: ${guardians(vault.realms)}`,
      ...realmLines(vault.realms.realms),
    ] : []),
    `repository: ${repo.repositoryId === null ? 'none yet (bkv backup makes it)' : `${repo.repositoryId.slice(0, 8)}, ${formatBytes(repo.usedBytes)} of ${formatBytes(repo.quotaBytes)} used (bkv snapshots lists them)`}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
