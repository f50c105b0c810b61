// The vault's route implementations: parse → service → reply. Mapping errors is respond()'s job.

import { decodeBase64url, encodeBase64url } from '../../protocol/base64url.js';
import { BkvError } from '../../protocol/errors.js';
import {
  LoginFinishRequest, LoginStartRequest, RegistrationFinishRequest, RegistrationStartRequest,
} from '../../protocol/schemas.js';
import { accountOf, parseBody } from '../http/request.js';
import type { RouteImpl } from '../http/route.js';
import type { RouteIdOf, VAULT_ENTRY } from '../routes.js';
import type { VaultService } from './service.js';

/** The routes functions/handlers/vault.ts serves, from the route table: a missing or extra one does not compile. */
export type VaultRouteId = RouteIdOf<typeof VAULT_ENTRY>;

/** Extra work `DELETE /v1/vault` may do (`?backups=true`: the account's repository). */
export type VaultDeleteHook = (account: string, event: Parameters<RouteImpl>[0]) => Promise<void>;

export function vaultRoutes(vault: VaultService, onDelete?: VaultDeleteHook): Record<VaultRouteId, RouteImpl> {
  return {
    'vault.registrationStart': async (event) => {
      const account = accountOf(event);
      const body = parseBody(event, RegistrationStartRequest);
      return { status: 200, body: await vault.registrationStart(account, body.registrationRequest) };
    },
    'vault.registrationFinish': async (event) => {
      const account = accountOf(event);
      const body = parseBody(event, RegistrationFinishRequest);
      const sealedKey = decodeBase64url(body.sealedKey);
      if (!sealedKey) throw new BkvError('bad-request', 'sealedKey: must be base64url');
      return { status: 201, body: await vault.registrationFinish(account, body.registrationId, body.registrationRecord, sealedKey) };
    },
    'vault.loginStart': async (event) => {
      const account = accountOf(event);
      const body = parseBody(event, LoginStartRequest);
      return { status: 200, body: await vault.loginStart(account, body.startLoginRequest) };
    },
    'vault.loginFinish': async (event) => {
      const account = accountOf(event);
      const body = parseBody(event, LoginFinishRequest);
      const { sealedKeyBox } = await vault.loginFinish(account, body.loginId, body.finishLoginRequest);
      return { status: 200, body: { sealedKeyBox: encodeBase64url(sealedKeyBox) } };
    },
    'vault.status': async (event) => {
      const account = accountOf(event);
      return { status: 200, body: await vault.status(account) };
    },
    'vault.delete': async (event) => {
      const account = accountOf(event);
      await onDelete?.(account, event);
      await vault.delete(account);
      return { status: 204 };
    },
  };
}
