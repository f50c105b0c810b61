// The vault table: a DynamoDB TableV2 global table with multi-Region strong consistency (two replicas and a
// witness), so one conditional UpdateItem counts a login attempt against every region at once (docs/threat-model.md
// invariant 2 and "Operational notes": with eventual consistency each region would check its own count, regions ×
// maxAttempts guesses). Point-in-time recovery, deletion protection, retained on stack deletion, encrypted with the
// vault key in each replica region. Key schema pk (S) + sk (S) as functions/adapters/dynamo-vault-store.ts expects;
// no TTL, no local indexes (MRSC supports neither TTL nor transactions, and the store needs neither).

import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { CONFIG_PARTITION } from '../../functions/ports.js';
import type { BkvConfig } from '../config.js';
import { tableArn, tableName } from '../names.js';
import { RESOURCE_ENV } from '../../protocol/env.js';

const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query'];
const WRITE_ACTIONS = [...READ_ACTIONS, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];
const KMS_VIA_DYNAMODB_READ = ['kms:Decrypt', 'kms:DescribeKey'];
const KMS_VIA_DYNAMODB_WRITE = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'];

/** A region's replica of the vault table, as functions in that region use it. */
export class VaultTableAccess {
  readonly tableName: string;
  readonly tableArn: string;

  constructor(config: BkvConfig, readonly region: string, readonly keyArn: string) {
    this.tableName = tableName(config);
    this.tableArn = tableArn(config, region);
  }

  private grantKeyThroughDynamo(fn: lambda.Function, actions: string[]): void {
    fn.addToRolePolicy(new iam.PolicyStatement({
      actions,
      resources: [this.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${this.region}.amazonaws.com` } },
    }));
  }

  /**
   * Sets VAULT_TABLE and lets `fn` read (GetItem, and Query within a partition: an account's backup records) or
   * also write items. No Scan, no batch, no transactions. Writes to the deployment's config item are denied.
   */
  grantVault(fn: lambda.Function, access: 'read' | 'write'): void {
    fn.addEnvironment(RESOURCE_ENV.vaultTable, this.tableName);
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: access === 'read' ? READ_ACTIONS : WRITE_ACTIONS, resources: [this.tableArn] }));
    if (access === 'write') {
      fn.addToRolePolicy(new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [this.tableArn],
        conditions: { 'ForAnyValue:StringEquals': { 'dynamodb:LeadingKeys': [CONFIG_PARTITION] } },
      }));
    }
    this.grantKeyThroughDynamo(fn, access === 'read' ? KMS_VIA_DYNAMODB_READ : KMS_VIA_DYNAMODB_WRITE);
  }

  /** Sets VAULT_TABLE and lets `fn` read and create the config item only (the server-setup custom resource). */
  grantServerSetup(fn: lambda.Function): void {
    fn.addEnvironment(RESOURCE_ENV.vaultTable, this.tableName);
    fn.addToRolePolicy(new iam.PolicyStatement({
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      resources: [this.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [CONFIG_PARTITION] } },
    }));
    this.grantKeyThroughDynamo(fn, KMS_VIA_DYNAMODB_WRITE);
  }
}

export interface VaultTableProps {
  config: BkvConfig;
  /** The vault key in the primary region (the stack's region). */
  primaryKey: kms.IKey;
  /** ARN of the vault key replica in the replica region. */
  replicaKeyArn: string;
}

/**
 * The table every bkv deployment and every realm keeps its one item per account in: multi-Region strong
 * consistency (the guess limit is one conditional write, global), point-in-time recovery, never deleted with the
 * stack. Only the encryption differs (the vault's own multi-Region key, or a realm's AWS-managed one).
 */
export function mrscTableProps(config: BkvConfig, encryption: dynamodb.TableEncryptionV2): dynamodb.TablePropsV2 {
  return {
    tableName: tableName(config),
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    billing: dynamodb.Billing.onDemand(),
    multiRegionConsistency: dynamodb.MultiRegionConsistency.STRONG,
    replicas: [{ region: config.regions.replica }],
    witnessRegion: config.regions.witness,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
    encryption,
  };
}

export class VaultTable extends Construct {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: VaultTableProps) {
    super(scope, id);
    const { config } = props;
    this.table = new dynamodb.TableV2(this, 'Table', mrscTableProps(config, dynamodb.TableEncryptionV2.customerManagedKey(props.primaryKey, {
      [config.regions.replica]: props.replicaKeyArn,
    })));
  }
}
