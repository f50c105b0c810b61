// RealmStack: one realm of a t-of-n realm set, for an independent team to deploy into its own AWS account
// (docs/deploy.md "Realms"; docs/protocol.md "Realms"). Nothing is shared with the primary's account: its own MRSC
// table (one item per account, conditional writes only), its own KMS key (realm records sealed with the context
// {purpose: "realm-record", account}), and its own HTTP API with only the realm routes, behind a JWT authorizer
// that trusts the identity provider the primary names (bkv:jwtIssuer, bkv:jwtAudience). It serves from the primary
// region of bkv:regions; the table's replica and witness keep each count strongly consistent across regions.

import { CfnOutput, RemovalPolicy, Stack, type App, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { REALM_ENTRY, ROUTES, type RouteSpec } from '../../functions/routes.js';
import { parseConfig, ConfigError, type BkvConfig } from '../config.js';
import { stackName } from '../names.js';
import { checkRoutes } from '../route-entries.js';
import { realmKeyPolicy } from '../constructs/realm-key.js';
import { VaultApi } from '../constructs/vault-api.js';
import { VaultKey } from '../constructs/vault-key.js';
import { VaultTableAccess, mrscTableProps } from '../constructs/vault-table.js';

/** The routes a realm serves: the realm API without the realm-set discovery (that is the primary's). */
export const REALM_ROUTES: readonly RouteSpec[] = ROUTES.filter((r) => r.entry === REALM_ENTRY && r.id !== 'realm.set');

export interface RealmStackProps extends StackProps {
  config: BkvConfig & { jwt: { issuer: string; audience: string[] } };
}

export class RealmStack extends Stack {
  readonly key: kms.Key;
  readonly table: dynamodb.TableV2;
  readonly api: VaultApi;
  readonly registrationKey: kms.Key;

  constructor(scope: Construct, id: string, props: RealmStackProps) {
    super(scope, id, props);
    const { config } = props;
    const region = config.regions.primary;
    this.key = new kms.Key(this, 'RealmKey', {
      description: `${config.name} realm records (purpose realm-record, per account)`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // every secret in it is sealed under RealmKey by the functions; the table's own encryption is AWS-managed
    this.table = new dynamodb.TableV2(this, 'RealmTable', mrscTableProps(config, dynamodb.TableEncryptionV2.awsManagedKey()));
    // The registration key's seed: a MAC under this HMAC key (docs/deploy.md "Realms"); GET /v1/realm answers the public key.
    this.registrationKey = new kms.Key(this, 'RealmRegistrationKey', {
      description: `${config.name} realm registration key seed (HMAC over the realm id; X25519 via RFC 9180 DeriveKeyPair)`,
      keySpec: kms.KeySpec.HMAC_256,
      keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC,
      policy: realmKeyPolicy(config, region, REALM_ROUTES),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.api = new VaultApi(this, 'Api', {
      config,
      region,
      routes: REALM_ROUTES,
      jwt: config.jwt,
      signIn: '',
      vaultKey: new VaultKey(this.key.keyArn),
      table: new VaultTableAccess(config, region, this.key.keyArn),
      realmKeyArn: this.registrationKey.keyArn,
    });
    new CfnOutput(this, 'RealmUrl', { value: this.api.stage.url, description: 'this realm\'s URL for the realm set' });
    new CfnOutput(this, 'RealmId', { value: config.realmId, description: 'this realm\'s id for the realm set' });
  }
}

/** `cdk deploy -c bkv:role=realm`: the one stack of a realm deployment. */
export function buildRealmApp(app: App, options: { account?: string } = {}): RealmStack {
  const config = parseConfig((key) => app.node.tryGetContext(key));
  if (!config.jwt) {
    throw new ConfigError('a realm trusts the primary\'s identity provider: set bkv:jwtIssuer and bkv:jwtAudience to the ones the primary uses');
  }
  checkRoutes(REALM_ROUTES);
  const account = options.account ?? process.env.CDK_DEFAULT_ACCOUNT;
  return new RealmStack(app, stackName(config, 'realm', config.regions.primary), {
    env: { region: config.regions.primary, ...(account ? { account } : {}) },
    config: { ...config, jwt: config.jwt },
    description: `${config.name} (backup key vault): realm ${config.realmId} of a realm set`,
  });
}
