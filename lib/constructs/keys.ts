// The deployment's KMS keys in one region: the vault key (seals vault data and encrypts the table), the blob key
// (SSE-KMS of the backup buckets) and the realm key (HMAC_256: seeds this deployment's realm registration key,
// lib/constructs/realm-key.ts). All are multi-Region keys (the first two symmetric, rotating): created with rotation in the primary
// region and replicated to the replica region, so a blob wrapped in one region unwraps in the other and the key id
// (hence every replica's ARN) is the same everywhere. Retained on stack deletion.

import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { BkvConfig } from '../config.js';
import { blobKeyAlias, realmKeyAlias, vaultKeyAlias } from '../names.js';
import { blobKeyPolicy, vaultKeyPolicy } from './key-policies.js';
import { realmKeyPolicy } from './realm-key.js';

const PENDING_WINDOW_DAYS = 30;

export interface KeyPairRef {
  /** ARN of this region's vault key (primary or replica). */
  vaultKeyArn: string;
  /** The multi-Region key id (`mrk-…`), identical in every region. */
  vaultKeyId: string;
  blobKeyArn: string;
  blobKeyId: string;
  /** ARN of this region's realm key (HMAC_256, the same key material in both regions). */
  realmKeyArn: string;
}

export interface BkvKeysProps {
  config: BkvConfig;
  /** Absent in the primary region; the primary's ARNs (a cross-region reference) in the replica region. */
  primary?: { vaultKeyArn: string; blobKeyArn: string; realmKeyArn: string };
}

export class BkvKeys extends Construct implements KeyPairRef {
  readonly vaultKeyArn: string;
  readonly vaultKeyId: string;
  readonly blobKeyArn: string;
  readonly blobKeyId: string;
  readonly realmKeyArn: string;

  constructor(scope: Construct, id: string, props: BkvKeysProps) {
    super(scope, id);
    const { config, primary } = props;
    const region = config.regions[primary ? 'replica' : 'primary'];
    const vault = this.key('VaultKey', {
      description: `${config.name}: seals vault records, sealed keys, login state and the OPAQUE server setup; encrypts the vault table`,
      policy: vaultKeyPolicy(config, region),
      alias: vaultKeyAlias(config),
      primaryArn: primary?.vaultKeyArn,
    });
    const blob = this.key('BlobKey', {
      description: `${config.name}: SSE-KMS of the backup buckets (backups are also end-to-end encrypted by the client)`,
      policy: blobKeyPolicy(region),
      alias: blobKeyAlias(config),
      primaryArn: primary?.blobKeyArn,
    });
    const realm = this.key('RealmKey', {
      description: `${config.name}: HMAC key seeding this deployment's realm registration key (X25519; docs/deploy.md "Realms")`,
      policy: realmKeyPolicy(config, region),
      alias: realmKeyAlias(config),
      primaryArn: primary?.realmKeyArn,
      hmac: true,
    });
    this.realmKeyArn = realm.arn;
    this.vaultKeyArn = vault.arn;
    this.vaultKeyId = vault.id;
    this.blobKeyArn = blob.arn;
    this.blobKeyId = blob.id;
  }

  private key(id: string, p: { description: string; policy: kms.KeyProps['policy']; alias: string; primaryArn: string | undefined; hmac?: boolean }) {
    if (p.primaryArn === undefined) {
      const key = new kms.Key(this, id, {
        description: p.description,
        multiRegion: true,
        // KMS rotates symmetric encryption keys only; an HMAC key keeps its material (its MAC is a published key)
        ...(p.hmac ? { keySpec: kms.KeySpec.HMAC_256, keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC } : { enableKeyRotation: true }),
        policy: p.policy,
        alias: p.alias,
        pendingWindow: Duration.days(PENDING_WINDOW_DAYS),
        removalPolicy: RemovalPolicy.RETAIN,
      });
      return { arn: key.keyArn, id: key.keyId };
    }
    const replica = new kms.CfnReplicaKey(this, id, {
      description: p.description,
      primaryKeyArn: p.primaryArn,
      keyPolicy: p.policy,
      pendingWindowInDays: PENDING_WINDOW_DAYS,
      enabled: true,
    });
    replica.applyRemovalPolicy(RemovalPolicy.RETAIN);
    new kms.CfnAlias(this, `${id}Alias`, { aliasName: p.alias, targetKeyId: replica.attrKeyId });
    return { arn: replica.attrArn, id: replica.attrKeyId };
  }
}
