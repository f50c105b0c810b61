// The CDK app: validated config, checked route table, and the stacks of one deployment, in dependency order:
//   keys (primary) → keys (replica) → [auth (primary)] → data (primary) → api (replica) → api (primary)
// The replica API deploys before the primary's because the primary bucket replicates into the replica's.

import type { App } from 'aws-cdk-lib';
import { ROUTES, type RouteSpec } from '../functions/routes.js';
import type { SignInConfig } from '../protocol/sign-in.js';
import { parseConfig, type BkvConfig } from './config.js';
import { stackName } from './names.js';
import { checkRoutes } from './route-entries.js';
import { ApiStack } from './stacks/api-stack.js';
import { AuthStack } from './stacks/auth-stack.js';
import { DataStack } from './stacks/data-stack.js';
import { KeysStack } from './stacks/keys-stack.js';

export interface BkvStacks {
  config: BkvConfig;
  primaryKeys: KeysStack;
  replicaKeys: KeysStack;
  auth?: AuthStack;
  data: DataStack;
  primaryApi: ApiStack;
  replicaApi: ApiStack;
}

export interface BuildOptions {
  routes?: readonly RouteSpec[];
  /** The AWS account; CDK_DEFAULT_ACCOUNT or environment-agnostic (resolved at deploy time). */
  account?: string;
}

export function buildApp(app: App, options: BuildOptions = {}): BkvStacks {
  const config = parseConfig((key) => app.node.tryGetContext(key));
  const routes = options.routes ?? ROUTES;
  checkRoutes(routes);
  const { primary, replica } = config.regions;
  const account = options.account ?? process.env.CDK_DEFAULT_ACCOUNT;
  const env = (region: string) => ({ region, ...(account ? { account } : {}) });
  const description = (what: string) => `${config.name} (backup key vault): ${what}`;

  const primaryKeys = new KeysStack(app, stackName(config, 'keys', primary), {
    env: env(primary), config, description: description('multi-Region KMS keys (primary)'),
  });
  const replicaKeys = new KeysStack(app, stackName(config, 'keys', replica), {
    env: env(replica), config, primary: primaryKeys, description: description('multi-Region KMS keys (replicas)'),
  });
  const auth = config.jwt ? undefined : new AuthStack(app, stackName(config, 'auth', primary), {
    env: env(primary), config, description: description('Cognito user pool (no bkv:jwtIssuer configured)'),
  });
  const jwt = config.jwt ?? { issuer: auth!.pool.issuer, audience: [auth!.pool.client.userPoolClientId] };
  // `GET /v1/auth`: the Cognito client, or the team's provider as bkv:signIn* describe it (docs/deploy.md).
  const signIn: SignInConfig = auth ? auth.pool.signIn() : {
    issuer: jwt.issuer, audience: jwt.audience[0]!,
    ...(config.signIn ?? { clientId: jwt.audience[0]!, scopes: ['openid', 'offline_access'], bearer: 'access_token', redirect: { host: '127.0.0.1', ports: [] } }),
  };
  const data = new DataStack(app, stackName(config, 'data', primary), {
    env: env(primary), config, primaryKeys, replicaKeys, description: description('MRSC vault table and OPAQUE server setup'),
  });
  const api = (region: string, keys: KeysStack) => {
    const stack = new ApiStack(app, stackName(config, 'api', region), {
      env: env(region), config, region, routes, keys, jwt, signIn, description: description(`API, functions and backup bucket in ${region}`),
    });
    stack.addStackDependency(data);
    if (auth) stack.addStackDependency(auth);
    return stack;
  };
  const replicaApi = api(replica, replicaKeys);
  const primaryApi = api(primary, primaryKeys);
  primaryApi.addStackDependency(replicaApi);
  return { config, primaryKeys, replicaKeys, ...(auth ? { auth } : {}), data, primaryApi, replicaApi };
}
