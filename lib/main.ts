// `cdk synth` / `cdk deploy` entry (cdk.json runs it with tsx): builds the app (or one realm) and runs cdk-nag on it.

import { App } from 'aws-cdk-lib';
import { buildApp } from './app.js';
import { addNagChecks } from './nag.js';
import { buildRealmApp } from './stacks/realm-stack.js';

const app = new App();
// `-c bkv:role=realm`: only a realm of a realm set, for a team that deploys one into its own account (docs/deploy.md).
if (app.node.tryGetContext('bkv:role') === 'realm') buildRealmApp(app);
else buildApp(app);
addNagChecks(app);
app.synth();
