// Keys of one serving region: the primary multi-Region keys in the primary region, their replicas in the replica
// region (which needs the primary's ARNs: a cross-region reference, hence crossRegionReferences on every stack).

import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { BkvConfig } from '../config.js';
import { BkvKeys } from '../constructs/keys.js';

export interface KeysStackProps extends StackProps {
  config: BkvConfig;
  /** The primary region's keys stack; absent for the primary itself. */
  primary?: KeysStack;
}

export class KeysStack extends Stack {
  readonly keys: BkvKeys;

  constructor(scope: Construct, id: string, props: KeysStackProps) {
    super(scope, id, { ...props, crossRegionReferences: true });
    this.keys = new BkvKeys(this, 'Keys', {
      config: props.config,
      ...(props.primary ? { primary: { vaultKeyArn: props.primary.keys.vaultKeyArn, blobKeyArn: props.primary.keys.blobKeyArn, realmKeyArn: props.primary.keys.realmKeyArn } } : {}),
    });
    if (props.primary) this.addStackDependency(props.primary);
  }
}
