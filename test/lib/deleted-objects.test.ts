// Deferred deletion in the synthesized app (docs/deploy.md "Deleted objects"): with bkv:deletedRetentionDays and
// bkv:objectLockMode set, both regions' backup buckets keep noncurrent versions exactly that long and lock every
// new version for it (Object Lock default retention, the asked mode); the DeletionSpike alarm watches the
// deletion metric; cdk-nag still passes with Object Lock on; a mode that is neither is refused.

import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONTEXT_KEYS, parseConfig } from '../../lib/config.js';
import { buildApp } from '../../lib/app.js';
import { DELETION_SPIKE_THRESHOLD } from '../../lib/constructs/alarms.js';
import { addNagChecks } from '../../lib/nag.js';
import { flatten, props, resourcesOf, synthesize, testApp, type Synthesized, SYNTH_TIMEOUT_MS } from './fixture.js';

let s: Synthesized;
let nagViolations: unknown[];
beforeAll(() => {
  s = synthesize({ [CONTEXT_KEYS.deletedRetentionDays]: 45, [CONTEXT_KEYS.objectLockMode]: 'compliance' });
  const app = testApp({ [CONTEXT_KEYS.deletedRetentionDays]: 45, [CONTEXT_KEYS.objectLockMode]: 'governance' });
  buildApp(app);
  const checks = addNagChecks(app);
  app.synth(); // throws on any unacknowledged finding
  nagViolations = checks.validateScope(app).violations;
}, 2 * SYNTH_TIMEOUT_MS);

describe('deleted objects in AWS', () => {
  it.for([['primary'], ['replica']] as const)('%s bucket: versioned, noncurrent versions kept the setting\'s days, Object Lock in the asked mode', ([which]) => {
    const api = which === 'primary' ? s.primaryApi : s.replicaApi;
    const t = s.template(api);
    const name = `bkv-backups-\${AWS::AccountId}-${api.region}`;
    const bucket = resourcesOf(t, 'AWS::S3::Bucket').find(([, b]) => flatten(props(b).BucketName) === name)![1];
    expect(props(bucket)).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 45 } } },
    });
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: Match.anyValue(),
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 45 }, Status: 'Enabled' })]) },
    });
  });

  it('the DeletionSpike alarm watches RepoDeletions', () => {
    s.template(s.primaryApi).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'RepoDeletions', Namespace: 'bkv', Dimensions: [{ Name: 'service', Value: 'bkv' }], Statistic: 'Sum',
      Period: 300, Threshold: DELETION_SPIKE_THRESHOLD, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('the undelete function may list versions and remove delete markers under accounts/* only', () => {
    const t = s.template(s.primaryApi);
    const policies = resourcesOf(t, 'AWS::IAM::Policy').map(([, p]) => JSON.stringify(props(p).PolicyDocument));
    const withVersions = policies.filter((p) => p.includes('s3:DeleteObjectVersion'));
    expect(withVersions).toHaveLength(1);
    expect(withVersions[0]).toContain('s3:ListBucketVersions');
    expect(withVersions[0]).toContain('accounts/*');
  });

  it('cdk-nag passes with Object Lock (governance) on', () => {
    expect(nagViolations).toEqual([]);
  });

  it.for([['legal-hold'], ['GOVERNANCE'], ['none']])('bkv:objectLockMode %s is refused', ([mode]) => {
    expect(() => parseConfig((k) => (k === CONTEXT_KEYS.objectLockMode ? mode : undefined))).toThrow(/objectLockMode must be governance or compliance/);
  });

  it.for([[0], [3651], ['30d']])('bkv:deletedRetentionDays %s is refused', ([days]) => {
    expect(() => parseConfig((k) => (k === CONTEXT_KEYS.deletedRetentionDays ? days : undefined))).toThrow(/deletedRetentionDays/);
  });
});
