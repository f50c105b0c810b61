// The `bkv` CLI program: commander wiring of the command modules, and error → exit code mapping.
// Exit codes (README "CLI exit codes"): 0 ok, 1 failure, 2 usage or bad input.
// Command modules export `register(program)` and are added in `buildProgram`.

import { Command, CommanderError } from 'commander';
import { BkvError } from '../../protocol/errors.js';
import { register as registerCrypt } from './commands/crypt.js';
import { register as registerKey } from './commands/key.js';

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export function buildProgram(): Command {
  const program = new Command('bkv')
    .description('end-to-end encrypted backups with a password-recoverable key vault')
    .showHelpAfterError()
    .exitOverride();
  registerKey(program);
  registerCrypt(program);
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
    return e instanceof BkvError && e.code === 'bad-request' ? EXIT.usage : EXIT.failure;
  }
}
