// The `bkv` CLI program: commander wiring of the command modules, and error → exit code mapping.
// Exit codes (README "CLI exit codes", client/cli/exit.ts): 0 ok, 1 failure, 2 usage or bad input,
// 3 wrong password or key, 4 locked (key destroyed), 5 backup damaged or tampered with.
// Command modules export `register(program)` and are added in `buildProgram`.

import { Command, CommanderError } from 'commander';
import { register as registerBackup } from './commands/backup.js';
import { register as registerDelete } from './commands/delete.js';
import { register as registerInit } from './commands/init.js';
import { register as registerCrypt } from './commands/crypt.js';
import { register as registerKey } from './commands/key.js';
import { register as registerKeyShow } from './commands/key-show.js';
import { register as registerPasswd } from './commands/passwd.js';
import { register as registerRestore } from './commands/restore.js';
import { register as registerStatus } from './commands/status.js';
import { EXIT, exitCodeFor } from './exit.js';

export { EXIT };

export function buildProgram(): Command {
  const program = new Command('bkv')
    .description('end-to-end encrypted backups with a password-recoverable key vault')
    .showHelpAfterError()
    .exitOverride();
  registerInit(program);
  registerBackup(program);
  registerRestore(program);
  registerStatus(program);
  registerPasswd(program);
  registerDelete(program);
  registerKey(program);
  registerCrypt(program);
  // after the key tools: adds `show` to their `key` group (or makes the group)
  registerKeyShow(program);
  return program;
}

export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`bkv: ${message}\n`);
    return exitCodeFor(e);
  }
}
