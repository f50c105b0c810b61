// cdk-nag v3 (AwsSolutions, as a CDK validation plugin) over the whole app: synth passes with no unacknowledged
// finding, the acknowledged ones are exactly the reviewed list below, each with a reason a reviewer can check,
// and the check does catch an insecure resource (so this test can fail).

import { App, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app.js';
import { addNagChecks } from '../../lib/nag.js';
import { testApp, SYNTH_TIMEOUT_MS } from './fixture.js';

const ACK_KEY = Validations.ACKNOWLEDGED_RULES_METADATA_KEY;

interface Ack { path: string; id: string; reason: string }

function acknowledgments(app: App): Ack[] {
  const out: Ack[] = [];
  const walk = (c: App | Stack | { node: App['node'] }) => {
    for (const m of c.node.metadata) {
      if (m.type !== ACK_KEY) continue;
      for (const [id, reason] of Object.entries(m.data as Record<string, string>)) out.push({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason });
    }
    for (const child of c.node.children) walk(child);
  };
  walk(app);
  return out;
}

describe('cdk-nag AwsSolutions', () => {
  let app: App;
  let violations: { ruleName: string; violatingResources: { constructPath?: string }[] }[];

  beforeAll(() => {
    app = testApp();
    buildApp(app);
    const checks = addNagChecks(app);
    app.synth(); // throws ValidationFailed on any unacknowledged finding
    violations = checks.validateScope(app).violations;
  }, SYNTH_TIMEOUT_MS);

  it('passes on the whole app with no unacknowledged finding', () => {
    expect(violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  it('acknowledges only the reviewed findings, each where it applies, with a substantive reason', () => {
    const acks = acknowledgments(app);
    const kinds = new Set(acks.map((a) => a.id.replace(/\[Resource::.*\/accounts\/\*\]$/, '[Resource::<bucket>/accounts/*]')));
    expect([...kinds].sort()).toEqual([
      'AwsSolutions-APIG4',
      'AwsSolutions-COG8',
      'AwsSolutions-IAM5[Resource::<bucket>/accounts/*]',
      'AwsSolutions-L1',
    ]);
    for (const a of acks) {
      expect(a.reason.length, `${a.id} at ${a.path}`).toBeGreaterThan(150);
      // Acknowledged on the resource it concerns, never on a whole stack or the app.
      expect(a.path.split('/').length, `${a.id} at ${a.path}`).toBeGreaterThan(2);
    }
    // L1 only on functions (the pinned nodejs22.x runtime), IAM5 only on roles, for backup objects under accounts/.
    for (const a of acks.filter((x) => x.id === 'AwsSolutions-L1')) expect(a.path).toMatch(/\/Function$/);
    // APIG4 (no authorizer) only on the sign-in and realm-set discovery routes, in each serving region.
    expect(acks.filter((x) => x.id === 'AwsSolutions-APIG4').map((a) => a.path).sort()).toEqual([
      'bkv-api-us-east-1/Api/HttpApi/GET--v1--auth', 'bkv-api-us-east-1/Api/HttpApi/GET--v1--realms',
      'bkv-api-us-east-2/Api/HttpApi/GET--v1--auth', 'bkv-api-us-east-2/Api/HttpApi/GET--v1--realms',
    ]);
    for (const a of acks.filter((x) => x.id.startsWith('AwsSolutions-IAM5'))) {
      expect(a.path).toMatch(/\/(Role|ReplicationRole)$/);
      expect(a.id).toMatch(/^AwsSolutions-IAM5\[Resource::arn:<AWS::Partition>:s3:::bkv-backups-<AWS::AccountId>-us-east-[12]\/accounts\/\*\]$/);
    }
  });

  it('catches an insecure resource (the check can fail)', () => {
    const bad = new App();
    new s3.Bucket(new Stack(bad, 'Bad'), 'PlainBucket');
    const checks = addNagChecks(bad);
    expect(() => bad.synth()).toThrow(/AwsSolutions-S10/);
    expect(checks.validateScope(bad).violations.map((v) => v.ruleName)).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });
});
