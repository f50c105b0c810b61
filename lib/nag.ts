// cdk-nag v3: the AwsSolutions pack as a CDK policy-validation plugin. Findings fail `cdk synth`; every accepted
// finding is acknowledged next to the resource it concerns, with its reason (Validations.of(x).acknowledge).

import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

export function addNagChecks(app: App): AwsSolutionsChecks {
  const checks = new AwsSolutionsChecks(app, { verbose: true });
  Validations.of(app).addPlugins(checks);
  return checks;
}
