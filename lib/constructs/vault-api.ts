// A serving region's HTTP API: one route and one function per entry of the route table (read generically, so
// routes added to functions/routes.ts flow in), every route behind the JWT authorizer but sign-in discovery
// (`auth: 'none'`), CORS only for bkv:corsOrigins, per-route throttling on the
// $default stage, and access logs that hold request metadata only (no body, no header, no token, no claim, no
// path parameter). Each function gets exactly what its route's permissions and settings name, IAM and environment
// together, through the constructs' grants: handler modules build their adapters on first use, so a function
// needs nothing for the routes its module serves besides its own.

import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RouteSetting, RouteSpec } from '../../functions/routes.js';
import type { BkvConfig } from '../config.js';
import type { BackupBucketAccess } from './backup-bucket.js';
import { grantRealmKeySeed } from './realm-key.js';
import { RouteFunction } from './route-function.js';
import type { VaultKey } from './vault-key.js';
import type { VaultTableAccess } from './vault-table.js';
import { SETTINGS } from '../../protocol/env.js';

export const OPEN_ROUTE_REASON =
  'GET /v1/auth is the sign-in discovery document: a client reads it before it has a token, to learn the issuer, '
  + 'public client id, scopes and audience (docs/protocol.md "Signing in"). It takes no account, reads no table, key '
  + 'or bucket (its function has no permissions), and answers public deployment settings; every other route is behind '
  + 'the JWT authorizer.';

/** The same finding on the realm-set discovery route (GET /v1/realms). */
export const OPEN_REALMS_ROUTE_REASON =
  'GET /v1/realms publishes the realm set (realm ids, URLs, threshold) a client pins before its first recovery '
  + '(docs/protocol.md "Realms"). It takes no account, reads no table, key or bucket (its function has no '
  + 'permissions), and answers a public deployment setting; every other route is behind the JWT authorizer.';

/** Per-route limits (HTTP API applies the stage's default route settings to each route separately). */
export const ROUTE_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const;
export const ACCESS_LOG_RETENTION = logs.RetentionDays.ONE_YEAR;

/** HTTP API $context variables only; nothing from the request body, headers, token or path. */
export const ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTimeEpoch',
  ip: '$context.identity.sourceIp',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  authorizerError: '$context.authorizer.error',
};

/** The environment variable of each route setting, and its value in this deployment. */
export const SETTING_ENV: { readonly [S in RouteSetting]: readonly [string, (config: BkvConfig, signIn: string) => number | string] } = {
  maxAttempts: [SETTINGS.maxAttempts.lambda, (c) => c.maxAttempts],
  repoQuotaBytes: [SETTINGS.repoQuotaBytes.lambda, (c) => c.repoQuotaBytes],
  signIn: [SETTINGS.signIn.lambda, (_c, signIn) => signIn],
  realmId: [SETTINGS.realmId.lambda, (c) => c.realmId],
  realmSet: [SETTINGS.realmSet.lambda, (c) => c.realmSet ?? ''],
};

export interface VaultApiProps {
  config: BkvConfig;
  region: string;
  routes: readonly RouteSpec[];
  jwt: { issuer: string; audience: string[] };
  /** The sign-in document of `GET /v1/auth` as JSON (protocol/sign-in.ts; may hold tokens such as the client id). */
  signIn: string;
  vaultKey: VaultKey;
  table: VaultTableAccess;
  /** The backup bucket; absent for a realm-only API (lib/stacks/realm-stack.ts), whose routes use none. */
  bucket?: BackupBucketAccess;
  /** The realm key (HMAC_256) for routes whose permissions name `realmKey` (lib/constructs/realm-key.ts). */
  realmKeyArn?: string;
}

export class VaultApi extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly functions = new Map<string, RouteFunction>();

  constructor(scope: Construct, id: string, props: VaultApiProps) {
    super(scope, id);
    const { config, region } = props;
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: ACCESS_LOG_RETENTION, removalPolicy: RemovalPolicy.RETAIN });
    this.api = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: `${config.name}-${region}`,
      description: `${config.name} vault and repository API (${region})`,
      createDefaultStage: false,
      // Browser clients of the configured origins only (none by default); preflights never reach a function.
      ...(config.corsOrigins.length > 0 ? {
        corsPreflight: {
          allowOrigins: [...config.corsOrigins],
          allowMethods: [apigwv2.CorsHttpMethod.GET, apigwv2.CorsHttpMethod.POST, apigwv2.CorsHttpMethod.DELETE],
          allowHeaders: ['authorization', 'content-type'],
          maxAge: Duration.hours(1),
        },
      } : {}),
    });
    this.stage = this.api.addStage('Stage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { ...ROUTE_THROTTLE },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: apigateway.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    const authorizer = new HttpJwtAuthorizer('Jwt', props.jwt.issuer, {
      jwtAudience: props.jwt.audience,
      identitySource: ['$request.header.Authorization'],
    });

    for (const route of props.routes) {
      const fn = this.routeFunction(props, route);
      this.functions.set(route.id, fn);
      const added = this.api.addRoutes({
        path: route.path,
        methods: [route.method as apigwv2.HttpMethod],
        integration: new HttpLambdaIntegration(`${route.id}Integration`, fn.function),
        // `auth: 'none'` (sign-in discovery only) is the one route outside the authorizer.
        ...(route.auth === 'none' ? {} : { authorizer }),
      });
      if (route.auth === 'none') {
        for (const r of added) Validations.of(r).acknowledge({ id: 'AwsSolutions-APIG4', reason: route.id === 'realm.set' ? OPEN_REALMS_ROUTE_REASON : OPEN_ROUTE_REASON });
      }
    }
  }

  private routeFunction(props: VaultApiProps, route: RouteSpec): RouteFunction {
    const { config, region } = props;
    const p = route.permissions;
    const fn = new RouteFunction(this, route.id, {
      config,
      region,
      functionId: route.id,
      entry: route.entry,
      handler: route.handler,
      description: `${config.name}: ${route.method} ${route.path}`,
    });
    const f = fn.function;
    if (p.table) props.table.grantVault(f, p.table);
    if (p.seal?.length || p.unseal?.length) props.vaultKey.grantSeal(f, { seal: p.seal ?? [], unseal: p.unseal ?? [] });
    if (p.bucket?.length) {
      if (!props.bucket) throw new Error(`route ${route.id} needs the backup bucket, which this API has none of`);
      props.bucket.grantBackups(f, p.bucket);
    }
    if (p.realmKey) {
      if (!props.realmKeyArn) throw new Error(`route ${route.id} needs the realm key, which this API has none of`);
      grantRealmKeySeed(f, props.realmKeyArn);
    }
    for (const setting of route.settings ?? []) {
      const [name, value] = SETTING_ENV[setting];
      f.addEnvironment(name, String(value(config, props.signIn)));
    }
    return fn;
  }

  /** Route 5xx answers over five minutes (API Gateway's own metric, so it counts crashes and timeouts too). */
  metricServerErrors() {
    return this.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' });
  }
}
