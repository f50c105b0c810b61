// `bkv` process entry (bin/bkv.js loads this): runs the program and sets the exit code.
import { run } from './program.js';

process.exitCode = await run(process.argv.slice(2));
