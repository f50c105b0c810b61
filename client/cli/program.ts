// The `bkv` CLI program: commander wiring of the command modules, and error → exit code mapping.
// Exit codes (README "CLI exit codes", client/cli/exit.ts): 0 ok, 1 failure, 2 usage or bad input,
// 3 wrong password or key, 4 locked (key destroyed), 5 backup damaged or tampered with, 6 backup incomplete.
// The commands are declared in commands/index.ts, which loads each command's module only when it runs.
// bin/bkv.js calls `run` (from the bundle in dist/cli/, or under tsx) and says where the vault worker is.

import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { PROTOCOL_VERSION } from '../../protocol/constants.js';
import { BkvError } from '../../protocol/errors.js';
import { printable } from '../printable.js';
import { registerCommands, type CliContext } from './commands/index.js';
import { describeSystemError, isSystemError } from '../errors.js';
import { EXIT, EXIT_CLOSED_PIPE, exitCodeFor } from './exit.js';
import * as interrupt from './interrupt.js';
import { globalOptions } from './options.js';
import { endQuietlyOnClosedPipe, isClosedPipe } from './stdio.js';
import { tuneThisProcess } from '../../runtime/gc.js';

export { EXIT, type CliContext };

/** `bkv --version`: the package's version and the protocol version it speaks. */
function versionLine(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `bkv ${pkg.version} (protocol ${PROTOCOL_VERSION})`;
}

export function buildProgram(context: CliContext = {}): Command {
  const program = new Command('bkv')
    .description('end-to-end encrypted backups with a password-recoverable key vault')
    .version(versionLine(), '-V, --version', 'print the version')
    .showHelpAfterError()
    .configureHelp({ showGlobalOptions: true })
    .exitOverride();
  globalOptions(program);
  registerCommands(program, context);
  return program;
}

export async function run(argv: string[], context: CliContext = {}): Promise<number> {
  // exit codes: client/cli/exit.ts (EXIT, and EXIT_CLOSED_PIPE when a reader closed stdout)
  const program = buildProgram(context);
  // this process is the CLI's own: on-demand minor GCs and the glibc tuning (runtime/gc.ts), which an
  // app importing the SDK never gets
  tuneThisProcess();
  endQuietlyOnClosedPipe();
  interrupt.install();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (isClosedPipe(e)) return EXIT_CLOSED_PIPE;
    // a server's words (any problem's message, a lock holder's description) never reach the terminal as they are;
    // a system error that reached here unnamed gets the one errno spelling: "cannot read /nope: no such file or directory"
    const message = e instanceof BkvError ? printable(e.message, 1000) : isSystemError(e) ? describeSystemError(e) : e instanceof Error ? e.message : String(e);
    process.stderr.write(`bkv: ${message}\n`);
    return exitCodeFor(e);
  } finally {
    interrupt.end();
  }
}
