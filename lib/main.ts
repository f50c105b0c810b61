// `cdk synth` / `cdk deploy` entry (cdk.json runs it with tsx): builds the app (or one realm) and runs cdk-nag on it. A
// setting that is wrong (a ConfigError from lib/config.ts) is one line on stderr naming it, exit 2, no stack trace;
// anything else is a bug and keeps its stack.

import { App } from 'aws-cdk-lib';
import { buildApp } from './app.js';
import { ConfigError } from './config.js';
import { addNagChecks } from './nag.js';
import { buildRealmApp } from './stacks/realm-stack.js';

/** Exit code of a synth refused for a wrong setting (docs/deploy.md). */
export const EXIT_BAD_SETTING = 2;

try {
  const app = new App();
  // `-c bkv:role=realm`: only a realm of a realm set, for a team that deploys one into its own account (docs/deploy.md).
  if (app.node.tryGetContext('bkv:role') === 'realm') buildRealmApp(app);
  else buildApp(app);
  addNagChecks(app);
  app.synth();
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  process.stderr.write(`bkv: bad setting: ${e.message} (cdk.json "context" or -c key=value; see docs/deploy.md)\n`);
  process.exitCode = EXIT_BAD_SETTING;
}
