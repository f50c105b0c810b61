// Handler modules build their adapters on the first call, from the environment the CDK app gives each function
// (its route's permissions and settings, lib/constructs/vault-api.ts), and nothing more: `GET /v1/vault` runs
// without KMS_KEY_ID and `GET /v1/repo` without BACKUP_BUCKET (both have only table access), while a missing
// variable a route does need is a bare 500 for the caller, not a crash at import.

import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { apiEvent } from '../helpers/event.js';

const ddb = mockClient(DynamoDBDocumentClient);
const ENV = { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true', AWS_REGION: 'us-east-1' };

beforeEach(() => {
  vi.resetModules();
  ddb.reset();
  ddb.on(GetCommand).resolves({});
  ddb.on(QueryCommand).resolves({ Items: [] });
  for (const name of ['VAULT_TABLE', 'KMS_KEY_ID', 'MAX_ATTEMPTS', 'BACKUP_BUCKET', 'REPO_QUOTA_BYTES']) {
    vi.stubEnv(name, undefined);
  }
  for (const [name, value] of Object.entries(ENV)) vi.stubEnv(name, value);
});
afterAll(() => {
  ddb.restore();
  vi.unstubAllEnvs();
});

describe('handler environment', () => {
  it('GET /v1/vault answers with VAULT_TABLE and MAX_ATTEMPTS only (no KMS_KEY_ID)', async () => {
    vi.stubEnv('VAULT_TABLE', 'vault-table');
    vi.stubEnv('MAX_ATTEMPTS', '7');
    const h = await import('../../functions/handlers/vault.js');
    const r = await h.status(apiEvent({ method: 'GET', path: '/v1/vault' }));
    expect(r.statusCode).toBe(200);
    expect(JSON.parse(r.body!)).toMatchObject({ registered: false, maxAttempts: 7 });
  });

  it('GET /v1/repo answers with VAULT_TABLE and REPO_QUOTA_BYTES only (no BACKUP_BUCKET)', async () => {
    vi.stubEnv('VAULT_TABLE', 'vault-table');
    vi.stubEnv('REPO_QUOTA_BYTES', '1048576');
    const h = await import('../../functions/handlers/repo.js');
    const r = await h.status(apiEvent({ method: 'GET', path: '/v1/repo' }));
    expect(r.statusCode).toBe(200);
    expect(JSON.parse(r.body!)).toEqual({ repositoryId: null, usedBytes: 0, quotaBytes: 1048576, signingKey: null, locks: [] });
  });

  it('importing builds nothing; a variable the route needs but lacks is a bare 500 on the call', async () => {
    const h = await import('../../functions/handlers/vault.js');
    const r = await h.status(apiEvent({ method: 'GET', path: '/v1/vault' }));
    expect(r.statusCode).toBe(500);
    expect(JSON.parse(r.body!)).toMatchObject({ type: 'urn:bkv:problem:internal', detail: 'internal error' });
    expect(ddb.calls()).toHaveLength(0);
  });
});
