// functions/handlers/server-setup.ts, the custom resource behind lib/constructs/server-setup.ts: creates the sealed
// OPAQUE server setup once (idempotent across Create/Update), does nothing on Delete, always answers CloudFormation
// (even on failure), and never puts the setup in the response, the failure reason or the log.

import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PHYSICAL_RESOURCE_ID, serverSetupHandler } from '../../functions/handlers/server-setup.js';
import { logger } from '../../functions/observability.js';
import { DEPLOYMENT_ACCOUNT, type SealContext, type Sealer, type VaultStore } from '../../functions/ports.js';

afterEach(() => vi.restoreAllMocks());

function memoryStore() {
  let setup: Uint8Array | undefined;
  const store = {
    getServerSetup: vi.fn(async () => setup),
    putServerSetupIfAbsent: vi.fn(async (sealed: Uint8Array) => (setup ??= sealed)),
  };
  return { store: store as unknown as VaultStore & typeof store, stored: () => setup };
}

function recordingSealer() {
  const plaintexts: string[] = [];
  const contexts: SealContext[] = [];
  const sealer: Sealer = {
    seal: async (plaintext, context) => {
      plaintexts.push(Buffer.from(plaintext).toString('utf8'));
      contexts.push(context);
      return new Uint8Array(Buffer.from(`sealed:${Buffer.from(plaintext).toString('base64')}`));
    },
    unseal: async () => { throw new Error('the custom resource never unseals'); },
  };
  return { sealer, plaintexts, contexts };
}

const event = (type: 'Create' | 'Update' | 'Delete'): CloudFormationCustomResourceEvent => ({
  RequestType: type,
  ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:setup',
  ResponseURL: 'https://cloudformation-custom-resource-response.s3.amazonaws.com/signed',
  StackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/bkv-data/1',
  RequestId: 'req-1',
  LogicalResourceId: 'OpaqueServerSetup',
  ResourceType: 'Custom::OpaqueServerSetup',
  ResourceProperties: { ServiceToken: 'x' },
  ...(type === 'Create' ? {} : { PhysicalResourceId: PHYSICAL_RESOURCE_ID, OldResourceProperties: {} }),
} as CloudFormationCustomResourceEvent);

function harness() {
  const mem = memoryStore();
  const seal = recordingSealer();
  const responses: { url: string; body: Record<string, unknown>; raw: string }[] = [];
  const logs: string[] = [];
  for (const level of ['info', 'warn', 'error'] as const) {
    vi.spyOn(logger, level).mockImplementation((...args: unknown[]) => { logs.push(JSON.stringify(args)); });
  }
  const handler = serverSetupHandler(() => ({ store: mem.store, sealer: seal.sealer }), async (url, raw) => {
    responses.push({ url, raw, body: JSON.parse(raw) as Record<string, unknown> });
  });
  return { handler, mem, seal, responses, logs };
}

describe('OPAQUE server-setup custom resource', () => {
  it('Create seals a fresh setup under purpose "server-setup" for the deployment and answers SUCCESS without data', async () => {
    const h = harness();
    await h.handler(event('Create'), { getRemainingTimeInMillis: () => 60_000 });
    expect(h.seal.contexts).toEqual([{ purpose: 'server-setup', account: DEPLOYMENT_ACCOUNT }]);
    expect(h.mem.stored()).toBeDefined();
    expect(h.responses).toHaveLength(1);
    expect(h.responses[0]!.url).toBe(event('Create').ResponseURL);
    expect(h.responses[0]!.body).toEqual({
      Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_RESOURCE_ID, StackId: event('Create').StackId,
      RequestId: 'req-1', LogicalResourceId: 'OpaqueServerSetup', NoEcho: true,
    });
    // Neither the setup nor its sealed form goes back to CloudFormation or into the log.
    const setup = h.seal.plaintexts[0]!;
    expect(setup.length).toBeGreaterThan(20);
    for (const secret of [setup, Buffer.from(h.mem.stored()!).toString('utf8')]) {
      expect(h.responses[0]!.raw).not.toContain(secret.slice(0, 16));
      expect(h.logs.join('\n')).not.toContain(secret.slice(0, 16));
    }
  });

  it('Update and a repeated Create keep the existing setup (idempotent)', async () => {
    const h = harness();
    await h.handler(event('Create'));
    const first = h.mem.stored();
    await h.handler(event('Update'));
    await h.handler(event('Create'));
    expect(h.mem.stored()).toBe(first);
    expect(h.seal.plaintexts).toHaveLength(1);
    expect(h.responses.map((r) => [r.body.Status, r.body.PhysicalResourceId])).toEqual([
      ['SUCCESS', PHYSICAL_RESOURCE_ID], ['SUCCESS', PHYSICAL_RESOURCE_ID], ['SUCCESS', PHYSICAL_RESOURCE_ID],
    ]);
  });

  it('Delete touches nothing (the sealed setup stays in the retained table) and answers SUCCESS', async () => {
    const deps = vi.fn();
    const responses: string[] = [];
    await serverSetupHandler(deps, async (_u, raw) => { responses.push(raw); })(event('Delete'));
    expect(deps).not.toHaveBeenCalled();
    expect(JSON.parse(responses[0]!)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_RESOURCE_ID });
  });

  it('a failure still answers, FAILED, with a reason naming only the error class', async () => {
    const h = harness();
    h.mem.store.putServerSetupIfAbsent.mockRejectedValueOnce(Object.assign(new Error('AccessDenied on arn:...:table/x'), { name: 'AccessDeniedException' }));
    await h.handler(event('Create'));
    expect(h.responses[0]!.body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: PHYSICAL_RESOURCE_ID });
    expect(h.responses[0]!.body.Reason).toBe("opaque server setup failed (AccessDeniedException); see the function's log");
    expect(h.responses[0]!.raw).not.toContain(h.seal.plaintexts[0]!.slice(0, 16));
  });

  it('answers FAILED before the Lambda timeout when the work hangs', async () => {
    const h = harness();
    h.mem.store.getServerSetup.mockImplementationOnce(() => new Promise(() => {}));
    await h.handler(event('Create'), { getRemainingTimeInMillis: () => 5_050 });
    expect(h.responses[0]!.body).toMatchObject({ Status: 'FAILED' });
  });

  it('answers FAILED (rather than never) when its environment is missing', async () => {
    const responses: string[] = [];
    await serverSetupHandler(() => { throw new Error('missing environment variable VAULT_TABLE'); }, async (_u, raw) => { responses.push(raw); })(event('Create'));
    expect(JSON.parse(responses[0]!)).toMatchObject({ Status: 'FAILED' });
  });
});
