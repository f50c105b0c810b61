// The synthesized app, data side and permissions: multi-Region KMS keys with rotation whose policies let only the
// functions whose routes name a purpose use them, for that purpose; each function's IAM matching its route's
// permissions exactly; no `*` action anywhere; the MRSC vault table; the backup buckets and their replication.

import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_PARTITION, DEPLOYMENT_ACCOUNT, SEAL_PURPOSES, type SealPurpose } from '../../functions/ports.js';
import { ROUTES } from '../../functions/routes.js';
import { BASE_ENVIRONMENT } from '../../lib/bundling.js';
import { KEY_ADMIN_ACTIONS } from '../../lib/constructs/key-policies.js';
import { SETTING_ENV } from '../../lib/constructs/vault-api.js';
import { SERVER_SETUP_FUNCTION_ID } from '../../lib/names.js';
import type { ApiStack } from '../../lib/stacks/api-stack.js';
import { asArray, flatten, functionsByRoute, iamStatements, props, resourcesOf, synthesize, type Synthesized, SYNTH_TIMEOUT_MS } from './fixture.js';

type Json = Record<string, unknown>;
let s: Synthesized;
beforeAll(() => {
  s = synthesize();
}, SYNTH_TIMEOUT_MS);

const actionsOf = (st: Json) => asArray(st.Action as string | string[]);
const cond = (st: Json, op: string, key: string): unknown => ((st.Condition as Json | undefined)?.[op] as Json | undefined)?.[key];
const purposeOf = (st: Json) => cond(st, 'StringEquals', 'kms:EncryptionContext:purpose') as SealPurpose | undefined;

/** Every policy statement of a template: IAM policies, roles' inline policies, key, bucket and topic policies. */
function allStatements(t: Template): { where: string; statement: Json }[] {
  const out = iamStatements(t).map(({ owner, statement }) => ({ where: owner, statement }));
  for (const [id, r] of [...resourcesOf(t, 'AWS::KMS::Key'), ...resourcesOf(t, 'AWS::KMS::ReplicaKey')]) {
    for (const st of ((props(r).KeyPolicy as Json).Statement as Json[])) out.push({ where: id, statement: st });
  }
  for (const [id, r] of [...resourcesOf(t, 'AWS::S3::BucketPolicy'), ...resourcesOf(t, 'AWS::SNS::TopicPolicy')]) {
    for (const st of ((props(r).PolicyDocument as Json).Statement as Json[])) out.push({ where: id, statement: st });
  }
  return out;
}

function keyPolicies(t: Template): Json[][] {
  return [...resourcesOf(t, 'AWS::KMS::Key'), ...resourcesOf(t, 'AWS::KMS::ReplicaKey')]
    .filter(([, r]) => String(props(r).Description).includes('seals vault'))
    .map(([, r]) => (props(r).KeyPolicy as Json).Statement as Json[]);
}

/** Role names (by route id) in an API stack. */
function roleNames(stack: ApiStack, t: Template): Map<string, string> {
  const roles = t.findResources('AWS::IAM::Role') as Record<string, Json>;
  const out = new Map<string, string>();
  for (const [id, rf] of stack.api.functions) {
    const role = roles[stack.getLogicalId(rf.role.node.defaultChild as never)]!;
    out.set(id, String(props(role).RoleName));
  }
  return out;
}

describe('no wildcard permissions', () => {
  it('no policy statement in any stack allows `*` or a whole service (`kms:*`, `s3:*`, `dynamodb:*`, …)', () => {
    let count = 0;
    for (const { stack, template } of s.all()) {
      for (const { where, statement } of allStatements(template)) {
        count++;
        const at = `${stack.stackName}/${where}`;
        expect(statement.NotAction, at).toBeUndefined();
        const broad = actionsOf(statement).filter((a) => a === '*' || /^[a-z0-9-]+:\*$/.test(a));
        if (statement.Effect === 'Deny' && broad.length > 0) {
          // The only broad statements are denials: S3's "TLS only" bucket policies.
          expect(broad, at).toEqual(['s3:*']);
          expect(Object.keys(statement.Condition as Json)[0], at).toMatch(/^(Bool|NumericLessThan)$/);
          continue;
        }
        for (const action of actionsOf(statement)) {
          expect(action, at).not.toBe('*');
          expect(action, at).not.toMatch(/^[a-z0-9-]+:\*$/);
        }
      }
    }
    expect(count).toBeGreaterThan(100);
  });

  it('no IAM policy allows an action on every resource', () => {
    for (const { stack, template } of s.all()) {
      for (const { owner, statement } of iamStatements(template)) {
        if (statement.Effect === 'Allow') expect(asArray(statement.Resource), `${stack.stackName}/${owner}`).not.toContain('*');
      }
    }
  });

  it('no role carries a managed policy', () => {
    for (const { template } of s.all()) {
      for (const [, role] of resourcesOf(template, 'AWS::IAM::Role')) expect(props(role).ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('KMS keys', () => {
  it('primary keys: multi-Region, retained; vault and blob keys symmetric and rotated, the realm key HMAC; replicas of all three', () => {
    const primary = s.template(s.primaryKeys);
    primary.resourceCountIs('AWS::KMS::Key', 3);
    primary.allResourcesProperties('AWS::KMS::Key', { MultiRegion: true, PendingWindowInDays: 30 });
    primary.allResources('AWS::KMS::Key', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    const specs = resourcesOf(primary, 'AWS::KMS::Key').map(([, k]) => [props(k).KeySpec ?? 'SYMMETRIC_DEFAULT', props(k).EnableKeyRotation ?? false]);
    expect(specs.sort()).toEqual([['HMAC_256', false], ['SYMMETRIC_DEFAULT', true], ['SYMMETRIC_DEFAULT', true]]);
    const replica = s.template(s.replicaKeys);
    replica.resourceCountIs('AWS::KMS::ReplicaKey', 3);
    replica.allResources('AWS::KMS::ReplicaKey', { DeletionPolicy: 'Retain' });
    for (const [, k] of resourcesOf(replica, 'AWS::KMS::ReplicaKey')) {
      expect(flatten(props(k).PrimaryKeyArn)).toMatch(/^\$\{output:.*Keys(Vault|Blob|Realm)Key.*Arn/);
    }
    primary.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/bkv-vault' });
    replica.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/bkv-vault' });
    primary.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/bkv-realm' });
    replica.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/bkv-realm' });
  });

  it('administrators manage the keys but cannot use them directly or grant them', () => {
    for (const stack of [s.primaryKeys, s.replicaKeys]) {
      const t = s.template(stack);
      for (const [, k] of [...resourcesOf(t, 'AWS::KMS::Key'), ...resourcesOf(t, 'AWS::KMS::ReplicaKey')]) {
        const statements = (props(k).KeyPolicy as Json).Statement as Json[];
        const admin = statements.find((st) => st.Sid === 'KeyAdministrationByAccountAdmins')!;
        expect(actionsOf(admin).sort()).toEqual([...KEY_ADMIN_ACTIONS].sort());
        for (const a of ['kms:Encrypt', 'kms:Decrypt', 'kms:CreateGrant', 'kms:GenerateDataKey']) expect(actionsOf(admin)).not.toContain(a);
        // Every other statement is conditioned: through a service, or by principal and encryption context.
        for (const st of statements.filter((x) => x !== admin)) {
          const via = cond(st, 'StringEquals', 'kms:ViaService');
          const principals = cond(st, 'ArnEquals', 'aws:PrincipalArn');
          expect(via ?? principals, JSON.stringify(st)).toBeDefined();
        }
      }
    }
  });

  it.for([['primary'], ['replica']] as const)('in the %s region, the vault key serves each purpose only to the routes that name it', ([which]) => {
    const keysStack = which === 'primary' ? s.primaryKeys : s.replicaKeys;
    const api = which === 'primary' ? s.primaryApi : s.replicaApi;
    const names = roleNames(api, s.template(api));
    const [policy] = keyPolicies(s.template(keysStack));
    const direct = policy!.filter((st) => cond(st, 'ArnEquals', 'aws:PrincipalArn') !== undefined);
    for (const purpose of SEAL_PURPOSES) {
      for (const [action, field] of [['kms:Encrypt', 'seal'], ['kms:Decrypt', 'unseal']] as const) {
        const expected = ROUTES.filter((r) => r.permissions[field]?.includes(purpose)).map((r) => names.get(r.id)!);
        if (which === 'primary' && action === 'kms:Encrypt' && purpose === 'server-setup') expected.push(`bkv-us-east-1-${SERVER_SETUP_FUNCTION_ID}`);
        const st = direct.filter((x) => actionsOf(x).includes(action) && purposeOf(x) === purpose);
        if (expected.length === 0) {
          expect(st, `${action} ${purpose}`).toEqual([]);
          continue;
        }
        expect(st).toHaveLength(1);
        expect(actionsOf(st[0]!)).toEqual([action]);
        const roles = asArray(cond(st[0]!, 'ArnEquals', 'aws:PrincipalArn')).map((r) => flatten(r).replace(/^.*:role\//, ''));
        expect(roles.sort(), `${action} ${purpose}`).toEqual(expected.sort());
        // The context must be exactly {purpose, account}, with the deployment account only for the server setup.
        expect(cond(st[0]!, 'ForAllValues:StringEquals', 'kms:EncryptionContextKeys')).toEqual(['purpose', 'account']);
        if (purpose === 'server-setup') expect(cond(st[0]!, 'StringEquals', 'kms:EncryptionContext:account')).toBe(DEPLOYMENT_ACCOUNT);
        else {
          expect(cond(st[0]!, 'StringNotEquals', 'kms:EncryptionContext:account')).toBe(DEPLOYMENT_ACCOUNT);
          expect(cond(st[0]!, 'Null', 'kms:EncryptionContext:account')).toBe('false');
        }
      }
    }
  });
});

describe.each(['primary', 'replica'] as const)('function permissions in the %s region', (which) => {
  const api = () => (which === 'primary' ? s.primaryApi : s.replicaApi);
  const region = () => api().region;
  const other = () => (which === 'primary' ? s.replicaApi : s.primaryApi).region;
  const fns = () => functionsByRoute(api(), s.template(api()));

  it('KMS Encrypt/Decrypt exactly for the purposes the route names, with the context conditions', () => {
    for (const r of ROUTES) {
      const statements = fns().get(r.id)!.statements.filter((st) => cond(st, 'StringEquals', 'kms:ViaService') === undefined);
      for (const [action, field] of [['kms:Encrypt', 'seal'], ['kms:Decrypt', 'unseal']] as const) {
        const granted = statements.filter((st) => actionsOf(st).includes(action)).map(purposeOf).sort();
        expect(granted, `${r.id} ${action}`).toEqual([...(r.permissions[field] ?? [])].sort());
      }
      for (const st of statements.filter((x) => actionsOf(x).some((a) => a.startsWith('kms:')))) {
        expect(st.Condition, r.id).toBeDefined();
      }
    }
  });

  it('DynamoDB access on this region\'s table replica per the route\'s table permission, config item write-protected', () => {
    for (const r of ROUTES) {
      const st = fns().get(r.id)!.statements;
      const ddb = st.filter((x) => x.Effect === 'Allow' && actionsOf(x).some((a) => a.startsWith('dynamodb:')));
      const actions = ddb.flatMap(actionsOf).sort();
      if (!r.permissions.table) {
        expect(actions, r.id).toEqual([]);
        continue;
      }
      expect(actions, r.id).toEqual(r.permissions.table === 'read'
        ? ['dynamodb:GetItem', 'dynamodb:Query']
        : ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
      for (const x of ddb) expect(flatten(x.Resource)).toBe(`arn:\${AWS::Partition}:dynamodb:${region()}:\${AWS::AccountId}:table/bkv-vault`);
      const deny = st.find((x) => x.Effect === 'Deny');
      if (r.permissions.table === 'write') expect(cond(deny!, 'ForAnyValue:StringEquals', 'dynamodb:LeadingKeys')).toEqual([CONFIG_PARTITION]);
      expect(props(fns().get(r.id)!.fn).Environment).toMatchObject({ Variables: { VAULT_TABLE: 'bkv-vault' } });
    }
  });

  it('S3 access only under accounts/*, on this region\'s bucket only, exactly the actions the route names', () => {
    for (const r of ROUTES) {
      const { statements, fn } = fns().get(r.id)!;
      const env = (props(fn).Environment as Json).Variables as Json;
      const s3 = statements.filter((x) => actionsOf(x).some((a) => a.startsWith('s3:')));
      const actions = r.permissions.bucket ?? [];
      if (actions.length === 0) {
        expect(s3, r.id).toEqual([]);
        expect(env.BACKUP_BUCKET, r.id).toBeUndefined();
        continue;
      }
      expect(flatten(env.BACKUP_BUCKET)).toBe(`bkv-backups-\${AWS::AccountId}-${region()}`);
      for (const x of s3) {
        for (const res of asArray(x.Resource).map(flatten)) {
          if (actionsOf(x).some((a) => a === 's3:ListBucket' || a === 's3:ListBucketVersions')) {
            expect(res).toMatch(/^arn:\$\{AWS::Partition\}:s3:::bkv-backups-\$\{AWS::AccountId\}-[a-z0-9-]+$/);
            expect(cond(x, 'StringLike', 's3:prefix')).toEqual(['accounts/*']);
          } else {
            expect(res).toMatch(/^arn:\$\{AWS::Partition\}:s3:::bkv-backups-\$\{AWS::AccountId\}-[a-z0-9-]+\/accounts\/\*$/);
          }
        }
      }
      const onOther = s3.filter((x) => asArray(x.Resource).map(flatten).some((res) => res.includes(`-${other()}`)));
      expect(onOther, r.id).toEqual([]);
      const want = [
        ...(actions.includes('read') ? ['s3:GetObject'] : []), ...(actions.includes('write') ? ['s3:PutObject'] : []),
        ...(actions.includes('delete') ? ['s3:DeleteObject'] : []), ...(actions.includes('list') ? ['s3:ListBucket'] : []),
        ...(actions.includes('undelete') ? ['s3:ListBucketVersions', 's3:DeleteObjectVersion'] : []),
      ];
      expect([...new Set(s3.flatMap(actionsOf))].sort(), r.id).toEqual(want.sort());
    }
  });

  it('each function\'s environment is exactly what its route\'s permissions and settings name', () => {
    for (const r of ROUTES) {
      const env = (props(fns().get(r.id)!.fn).Environment as Json).Variables as Json;
      const p = r.permissions;
      const expected = [
        ...Object.keys(BASE_ENVIRONMENT),
        ...(p.table ? ['VAULT_TABLE'] : []),
        ...(p.seal?.length || p.unseal?.length ? ['KMS_KEY_ID'] : []),
        ...(p.bucket?.length ? ['BACKUP_BUCKET'] : []),
        ...(p.realmKey ? ['REALM_KEY_ID'] : []),
        ...(r.settings ?? []).map((s) => SETTING_ENV[s][0]),
      ];
      expect(Object.keys(env).sort(), r.id).toEqual(expected.sort());
      expect(env).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'bkv', POWERTOOLS_METRICS_NAMESPACE: 'bkv' });
      if (r.settings?.includes('maxAttempts')) expect(env.MAX_ATTEMPTS).toBe('10');
      if (r.settings?.includes('repoQuotaBytes')) expect(env.REPO_QUOTA_BYTES).toBe(String(50 * 1024 ** 3));
    }
  });
});

describe('server-setup function permissions', () => {
  it('reads and creates only the config item and seals only the deployment-wide server setup', () => {
    const t = s.template(s.data);
    const statements = iamStatements(t).map((x) => x.statement);
    const ddb = statements.filter((x) => actionsOf(x).some((a) => a.startsWith('dynamodb:')));
    expect(ddb).toHaveLength(1);
    expect(actionsOf(ddb[0]!).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(cond(ddb[0]!, 'ForAllValues:StringEquals', 'dynamodb:LeadingKeys')).toEqual([CONFIG_PARTITION]);
    const direct = statements.filter((x) => actionsOf(x).some((a) => a.startsWith('kms:')) && !cond(x, 'StringEquals', 'kms:ViaService'));
    expect(direct).toHaveLength(1);
    expect(actionsOf(direct[0]!)).toEqual(['kms:Encrypt']);
    expect(purposeOf(direct[0]!)).toBe('server-setup');
    expect(cond(direct[0]!, 'StringEquals', 'kms:EncryptionContext:account')).toBe(DEPLOYMENT_ACCOUNT);
  });
});

describe('vault table', () => {
  it('is an MRSC global table: replica + witness, PITR, deletion protection, KMS per replica, retained', () => {
    const t = s.template(s.data);
    t.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    t.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    t.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'bkv-vault',
      MultiRegionConsistency: 'STRONG',
      GlobalTableWitnesses: [{ Region: 'us-west-2' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
    });
    const table = props(resourcesOf(t, 'AWS::DynamoDB::GlobalTable')[0]![1]);
    expect(table.TimeToLiveSpecification).toBeUndefined();
    expect(table.LocalSecondaryIndexes).toBeUndefined();
    expect(table.GlobalSecondaryIndexes).toBeUndefined();
    const replicas = table.Replicas as Json[];
    expect(replicas.map((r) => r.Region).sort()).toEqual(['us-east-1', 'us-east-2']);
    for (const r of replicas) {
      expect(r).toMatchObject({ DeletionProtectionEnabled: true, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } });
      const key = flatten((r.SSESpecification as Json).KMSMasterKeyId);
      if (r.Region === 'us-east-1') expect(key).toMatch(/^\$\{output:.*KeysVaultKey.*Arn/);
      // The replica's key: same multi-Region key id, in the replica region.
      else expect(key).toMatch(/^arn:\$\{AWS::Partition\}:kms:us-east-2:\$\{AWS::AccountId\}:key\/\$\{output:.*KeysVaultKey/);
    }
  });
});

describe('backup buckets', () => {
  it.for([['primary'], ['replica']] as const)('%s: versioned, SSE-KMS with bucket key, private, TLS only, lifecycle, logged, retained', ([which]) => {
    const api = which === 'primary' ? s.primaryApi : s.replicaApi;
    const t = s.template(api);
    const name = `bkv-backups-\${AWS::AccountId}-${api.region}`;
    const found = resourcesOf(t, 'AWS::S3::Bucket').filter(([, b]) => flatten(props(b).BucketName) === name);
    expect(found).toHaveLength(1);
    const [id, bucket] = found[0]!;
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(props(bucket)).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LoggingConfiguration: { DestinationBucketName: expect.anything(), LogFilePrefix: 'backups/' },
    });
    const rules = ((props(bucket).LifecycleConfiguration as Json).Rules as Json[]);
    expect(rules).toEqual(expect.arrayContaining([
      expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
      expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' }), // bkv:deletedRetentionDays default
    ]));
    // Repository objects go only when the API deletes them: no rule expires or transitions a current object.
    for (const rule of rules) {
      expect(rule.ExpirationInDays, String(rule.Id)).toBeUndefined();
      expect(rule.ExpirationDate, String(rule.Id)).toBeUndefined();
      expect(rule.Transitions, String(rule.Id)).toBeUndefined();
      expect(rule.ExpiredObjectDeleteMarker === undefined || rule.ExpiredObjectDeleteMarker === true, String(rule.Id)).toBe(true);
    }
    const policy = resourcesOf(t, 'AWS::S3::BucketPolicy').find(([, p]) => (props(p).Bucket as Json).Ref === id)!;
    const statements = (props(policy[1]).PolicyDocument as Json).Statement as Json[];
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
    ]));
  });

  it('the primary bucket replicates accounts/ to the replica region\'s bucket, re-encrypting with the blob key replica', () => {
    const t = s.template(s.primaryApi);
    const replicating = resourcesOf(t, 'AWS::S3::Bucket').filter(([, b]) => props(b).ReplicationConfiguration !== undefined);
    expect(replicating).toHaveLength(1);
    const [, bucket] = replicating[0]!;
    const rc = props(bucket).ReplicationConfiguration as Json;
    const [rule] = rc.Rules as Json[];
    expect(rule).toMatchObject({
      Status: 'Enabled', Filter: { Prefix: 'accounts/' }, DeleteMarkerReplication: { Status: 'Enabled' },
      SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
    });
    const dest = rule!.Destination as Json;
    expect(flatten(dest.Bucket)).toMatch(/^arn:(aws|\$\{AWS::Partition\}):s3:::bkv-backups-\$\{AWS::AccountId\}-us-east-2$/);
    expect(flatten((dest.EncryptionConfiguration as Json).ReplicaKmsKeyID)).toMatch(/^arn:\$\{AWS::Partition\}:kms:us-east-2:\$\{AWS::AccountId\}:key\//);
    // The replica region's bucket replicates nowhere.
    for (const [, b] of resourcesOf(s.template(s.replicaApi), 'AWS::S3::Bucket')) expect(props(b).ReplicationConfiguration).toBeUndefined();
  });
});
