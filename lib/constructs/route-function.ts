// One Lambda function built from a handler entry (a route of functions/routes.ts, or the server-setup custom
// resource): NodejsFunction on nodejs22.x arm64, bundled by local esbuild with the shared options (lib/bundling.ts),
// its own log group, and its own role with a deterministic name (the KMS key policies name it) and no managed
// policies: it starts with permission to write its own logs and nothing else; grants add the rest.

import path from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  BASE_ENVIRONMENT, BUNDLING, FUNCTION_MEMORY_MB, FUNCTION_TIMEOUT_S, LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME, REPO_ROOT,
} from '../bundling.js';
import type { BkvConfig } from '../config.js';
import { functionRoleName } from '../names.js';

export const RUNTIME_PIN_REASON =
  'nodejs22.x is pinned on purpose and set explicitly: the bundles are built with target node22 and tested on ' +
  'Node 20/22, and nodejs22.x is a supported Lambda runtime (deprecation scheduled for 2027). Moving to a newer ' +
  'runtime is a deliberate, tested change of lib/bundling.ts, not something a synth-time default should do.';

export const FUNCTION_LOG_RETENTION = logs.RetentionDays.ONE_YEAR;

export interface RouteFunctionProps {
  config: BkvConfig;
  region: string;
  /** Route id (or `server-setup`); part of the role name. */
  functionId: string;
  /** Repo-relative entry file and exported handler name. */
  entry: string;
  handler: string;
  description: string;
  environment?: Record<string, string>;
  /** Seconds; FUNCTION_TIMEOUT_S unless set. */
  timeout?: number;
}

export class RouteFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RouteFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: FUNCTION_LOG_RETENTION,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      roleName: functionRoleName(props.config, props.region, props.functionId),
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.config.name} ${props.functionId} function`,
    });
    this.role.addToPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [this.logGroup.logGroupArn],
    }));
    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(REPO_ROOT, props.entry),
      handler: props.handler,
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      runtime: LAMBDA_RUNTIME,
      architecture: LAMBDA_ARCHITECTURE,
      memorySize: FUNCTION_MEMORY_MB,
      timeout: Duration.seconds(props.timeout ?? FUNCTION_TIMEOUT_S),
      bundling: BUNDLING,
      role: this.role,
      logGroup: this.logGroup,
      description: props.description,
      environment: { ...BASE_ENVIRONMENT, ...props.environment },
    });
    Validations.of(this.function).acknowledge({ id: 'AwsSolutions-L1', reason: RUNTIME_PIN_REASON });
  }
}
