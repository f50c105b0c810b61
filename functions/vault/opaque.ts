// The OPAQUE server side (@serenity-kit/opaque: opaque-ke 4, ristretto255) and the deployment's server setup,
// which is created once (locally on first start, in AWS by a custom resource), stored sealed in the vault
// table, and unsealed once per cold start.

import * as opaque from '@serenity-kit/opaque';
import { BkvError } from '../../protocol/errors.js';
import { DEPLOYMENT_ACCOUNT, type Sealer, type SealContext, type VaultStore } from '../ports.js';

export const SERVER_SETUP_CONTEXT: SealContext = { purpose: 'server-setup', account: DEPLOYMENT_ACCOUNT };

export const opaqueReady: Promise<void> = opaque.ready;
export const opaqueServer = opaque.server;
/** Only for the server's trial login start that checks an uploaded record (vault/service.ts). */
export const opaqueClient = opaque.client;

/** Creates and stores the sealed server setup unless one exists; returns the stored sealed blob. */
export async function ensureServerSetup(store: VaultStore, sealer: Sealer): Promise<Uint8Array> {
  const existing = await store.getServerSetup();
  if (existing) return existing;
  await opaque.ready;
  const setup = opaque.server.createSetup();
  return store.putServerSetupIfAbsent(await sealer.seal(Buffer.from(setup, 'utf8'), SERVER_SETUP_CONTEXT));
}

/** A loader that unseals the server setup once and caches it for the life of the process (a cold start). */
export function serverSetupLoader(store: VaultStore, sealer: Sealer, create: boolean): () => Promise<string> {
  let cached: Promise<string> | undefined;
  return () => {
    cached ??= (async () => {
      const sealed = create ? await ensureServerSetup(store, sealer) : await store.getServerSetup();
      if (!sealed) throw new BkvError('unavailable', 'vault is not initialised: no opaque server setup');
      const [plain] = await Promise.all([sealer.unseal(sealed, SERVER_SETUP_CONTEXT), opaque.ready]);
      return Buffer.from(plain).toString('utf8');
    })().catch((e: unknown) => {
      cached = undefined;
      throw e;
    });
    return cached;
  };
}
