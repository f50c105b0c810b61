// The vault table (a global table whose CloudFormation resource lives in the primary region and creates the
// replica) and the one-time OPAQUE server setup. Deployed after both regions' keys exist: the replica table is
// encrypted with the vault key's replica, whose ARN is computed from the shared multi-Region key id.

import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { BkvConfig } from '../config.js';
import { ServerSetup } from '../constructs/server-setup.js';
import { VaultKey } from '../constructs/vault-key.js';
import { VaultTable, VaultTableAccess } from '../constructs/vault-table.js';
import { kmsKeyArn } from '../names.js';
import type { KeysStack } from './keys-stack.js';

export interface DataStackProps extends StackProps {
  config: BkvConfig;
  primaryKeys: KeysStack;
  replicaKeys: KeysStack;
}

export class DataStack extends Stack {
  readonly vaultTable: VaultTable;
  readonly serverSetup: ServerSetup;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, { ...props, crossRegionReferences: true });
    const { config, primaryKeys } = props;
    const keys = primaryKeys.keys;
    this.vaultTable = new VaultTable(this, 'Vault', {
      config,
      primaryKey: kms.Key.fromKeyArn(this, 'VaultKey', keys.vaultKeyArn),
      replicaKeyArn: kmsKeyArn(config.regions.replica, keys.vaultKeyId),
    });
    this.serverSetup = new ServerSetup(this, 'OpaqueServerSetup', {
      config,
      table: new VaultTableAccess(config, config.regions.primary, keys.vaultKeyArn),
      key: new VaultKey(keys.vaultKeyArn),
    });
    this.serverSetup.resource.node.addDependency(this.vaultTable);
    this.addStackDependency(props.replicaKeys);
    new CfnOutput(this, 'VaultTableName', { value: this.vaultTable.table.tableName });
  }
}
