// `cdk synth` / `cdk deploy` entry (cdk.json runs it with tsx): builds the app and runs cdk-nag on it.

import { App } from 'aws-cdk-lib';
import { buildApp } from './app.js';
import { addNagChecks } from './nag.js';

const app = new App();
buildApp(app);
addNagChecks(app);
app.synth();
