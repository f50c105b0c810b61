// RealmStack: one realm of a t-of-n realm set, for an independent team to deploy into its own AWS account
// (docs/deploy.md "Realms"; docs/protocol.md "Realms"). Nothing is shared with the primary's account. Three stacks,
// in deployment order: RealmKeysStack (primary region: the realm key, a rotating multi-Region symmetric key that
// seals realm records with the context {purpose: "realm-record", account} and encrypts the table; and the
// registration key, HMAC_256, lib/constructs/realm-key.ts), RealmReplicaKeysStack (the replica region of bkv:regions:
// the realm key's replica, which the table's replica there is encrypted with), and RealmStack (primary region: the
// MRSC table, replica and witness from bkv:regions like the primary's, encrypted with the realm key; an HTTP API with
// only the realm routes behind a JWT authorizer trusting the primary's identity provider, bkv:jwtIssuer and
// bkv:jwtAudience; and its alarms). The table's replica and witness keep each count strongly consistent.

import { CfnOutput, Duration, RemovalPolicy, Stack, type App, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { REALM_ENTRY, ROUTES, type RouteSpec } from '../../functions/routes.js';
import { parseConfig, ConfigError, type BkvConfig } from '../config.js';
import { kmsKeyArn, stackName } from '../names.js';
import { checkRoutes } from '../route-entries.js';
import { RealmAlarms } from '../constructs/realm-alarms.js';
import { realmKeyPolicy } from '../constructs/realm-key.js';
import { adminStatement, serviceUseStatement } from '../constructs/key-policies.js';
import { VaultApi } from '../constructs/vault-api.js';
import { VaultKey } from '../constructs/vault-key.js';
import { VaultTableAccess, mrscTableProps } from '../constructs/vault-table.js';

/** The routes a realm serves: the realm API without the realm-set discovery (that is the primary's). */
export const REALM_ROUTES: readonly RouteSpec[] = ROUTES.filter((r) => r.entry === REALM_ENTRY && r.id !== 'realm.set');

const PENDING_WINDOW = Duration.days(30);

type RealmConfig = BkvConfig & { jwt: { issuer: string; audience: string[] } };

export interface RealmKeysStackProps extends StackProps {
  config: RealmConfig;
}

/** The realm's keys in its primary region. */
export class RealmKeysStack extends Stack {
  readonly key: kms.Key;
  readonly registrationKey: kms.Key;

  constructor(scope: Construct, id: string, props: RealmKeysStackProps) {
    super(scope, id, { ...props, crossRegionReferences: true });
    const { config } = props;
    this.key = new kms.Key(this, 'RealmKey', {
      description: `${config.name} realm records (purpose realm-record, per account) and the realm table`,
      multiRegion: true,
      enableKeyRotation: true,
      pendingWindow: PENDING_WINDOW,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The registration key's seed: a MAC under this HMAC key (docs/deploy.md "Realms"); GET /v1/realm answers the public key.
    this.registrationKey = new kms.Key(this, 'RealmRegistrationKey', {
      description: `${config.name} realm registration key seed (HMAC over the realm id; X25519 via RFC 9180 DeriveKeyPair)`,
      keySpec: kms.KeySpec.HMAC_256,
      keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC,
      policy: realmKeyPolicy(config, config.regions.primary, REALM_ROUTES),
      pendingWindow: PENDING_WINDOW,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}

export interface RealmReplicaKeysStackProps extends StackProps {
  config: RealmConfig;
  primary: RealmKeysStack;
}

/** The realm key's replica in the replica region, for the table's replica there (DynamoDB use only). */
export class RealmReplicaKeysStack extends Stack {
  readonly replica: kms.CfnReplicaKey;

  constructor(scope: Construct, id: string, props: RealmReplicaKeysStackProps) {
    super(scope, id, { ...props, crossRegionReferences: true });
    const region = props.config.regions.replica;
    this.replica = new kms.CfnReplicaKey(this, 'RealmKey', {
      description: `${props.config.name} realm table replica in ${region}`,
      primaryKeyArn: props.primary.key.keyArn,
      keyPolicy: new iam.PolicyDocument({ statements: [adminStatement(), serviceUseStatement('dynamodb', region)] }),
      pendingWindowInDays: PENDING_WINDOW.toDays(),
      enabled: true,
    });
    this.replica.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.addDependency(props.primary);
  }
}

export interface RealmStackProps extends StackProps {
  config: RealmConfig;
  keys: RealmKeysStack;
  replicaKeys: RealmReplicaKeysStack;
}

export class RealmStack extends Stack {
  readonly key: kms.IKey;
  readonly registrationKey: kms.IKey;
  readonly table: dynamodb.TableV2;
  readonly api: VaultApi;
  readonly alarms: RealmAlarms;
  readonly keysStack: RealmKeysStack;
  readonly replicaKeysStack: RealmReplicaKeysStack;

  constructor(scope: Construct, id: string, props: RealmStackProps) {
    super(scope, id, { ...props, crossRegionReferences: true });
    const { config } = props;
    this.keysStack = props.keys;
    this.replicaKeysStack = props.replicaKeys;
    const region = config.regions.primary;
    this.key = props.keys.key;
    this.registrationKey = props.keys.registrationKey;
    // A multi-Region key's replica has the same key id, so its ARN in the replica region follows from the primary's.
    this.table = new dynamodb.TableV2(this, 'RealmTable', mrscTableProps(config, dynamodb.TableEncryptionV2.customerManagedKey(this.key, {
      [config.regions.replica]: kmsKeyArn(config.regions.replica, props.keys.key.keyId),
    })));
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
    this.alarms = new RealmAlarms(this, 'Alarms', { config, api: this.api });
    new CfnOutput(this, 'RealmUrl', { value: this.api.stage.url, description: 'this realm\'s URL for the realm set' });
    new CfnOutput(this, 'RealmId', { value: config.realmId, description: 'this realm\'s id for the realm set' });
    this.addDependency(props.keys);
    this.addDependency(props.replicaKeys);
  }
}

/** `cdk deploy --all -c bkv:role=realm`: the stacks of a realm deployment; returns the serving one. */
export function buildRealmApp(app: App, options: { account?: string } = {}): RealmStack {
  const parsed = parseConfig((key) => app.node.tryGetContext(key));
  if (!parsed.jwt) {
    throw new ConfigError('a realm trusts the primary\'s identity provider: set bkv:jwtIssuer and bkv:jwtAudience to the ones the primary uses');
  }
  const config: RealmConfig = { ...parsed, jwt: parsed.jwt };
  checkRoutes(REALM_ROUTES);
  const account = options.account ?? process.env.CDK_DEFAULT_ACCOUNT;
  const env = (region: string) => ({ region, ...(account ? { account } : {}) });
  const keys = new RealmKeysStack(app, stackName(config, 'keys', config.regions.primary), {
    env: env(config.regions.primary), config, description: `${config.name} (backup key vault): realm ${config.realmId} keys`,
  });
  const replicaKeys = new RealmReplicaKeysStack(app, stackName(config, 'keys', config.regions.replica), {
    env: env(config.regions.replica), config, primary: keys, description: `${config.name} (backup key vault): realm ${config.realmId} key replica`,
  });
  return new RealmStack(app, stackName(config, 'realm', config.regions.primary), {
    env: env(config.regions.primary), config, keys, replicaKeys,
    description: `${config.name} (backup key vault): realm ${config.realmId} of a realm set`,
  });
}
