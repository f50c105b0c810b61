// The realm's route implementations: parse → service → reply (docs/protocol.md "Realms"). Mapping errors is
// respond()'s job. `realm.set` answers the realm set this deployment publishes (its REALM_SET setting).

import { decodeBase64url, encodeBase64url } from '../../protocol/base64url.js';
import { BkvError } from '../../protocol/errors.js';
import {
  RealmRegisterRequest, RecoveryFinishRequest, RecoveryStartRequest, type RealmSet,
} from '../../protocol/realm/schemas.js';
import { accountOf, parseBody } from '../http/request.js';
import type { RouteImpl } from '../http/route.js';
import type { REALM_ENTRY, RouteIdOf } from '../routes.js';
import type { RealmService } from './service.js';

export type RealmRouteId = RouteIdOf<typeof REALM_ENTRY>;

/** The schemas have checked every length; this only turns base64url into bytes. */
function bytes(s: string): Uint8Array {
  const b = decodeBase64url(s);
  if (!b) throw new BkvError('bad-request', 'not base64url');
  return b;
}

export function realmRoutes(realm: () => RealmService, realmSet: () => RealmSet | undefined): Record<RealmRouteId, RouteImpl> {
  return {
    'realm.register': async (event) => {
      const account = accountOf(event);
      const body = parseBody(event, RealmRegisterRequest);
      const boxed = { version: bytes(body.version), enc: bytes(body.enc), box: bytes(body.box) };
      return { status: 201, body: await realm().register(account, boxed, body.allowedGuesses) };
    },
    'realm.status': async (event) => ({ status: 200, body: await realm().status(accountOf(event)) }),
    'realm.recoveryStart': async (event) => {
      const account = accountOf(event);
      const body = parseBody(event, RecoveryStartRequest);
      const r = await realm().recoveryStart(account, bytes(body.version), bytes(body.blindedElement));
      return {
        status: 200,
        body: {
          evaluatedElement: encodeBase64url(r.evaluatedElement),
          proof: encodeBase64url(r.proof),
          oprfPublicKey: encodeBase64url(r.record.oprfPublicKey),
          oprfSignature: encodeBase64url(r.record.oprfSignature),
          signingKey: encodeBase64url(r.record.signingKey),
          unlockKeyCommitment: encodeBase64url(r.record.unlockKeyCommitment),
          challenge: encodeBase64url(r.challenge),
          attemptsRemaining: r.attemptsRemaining,
        },
      };
    },
    'realm.recoveryFinish': async (event) => {
      const account = accountOf(event);
      const body = parseBody(event, RecoveryFinishRequest);
      const { shareBox } = await realm().recoveryFinish(account, bytes(body.version), bytes(body.challenge), bytes(body.boxKey), bytes(body.unlockProof));
      return { status: 200, body: { shareBox: encodeBase64url(shareBox) } };
    },
    'realm.delete': async (event) => {
      await realm().delete(accountOf(event));
      return { status: 204 };
    },
    'realm.set': async () => {
      const set = realmSet();
      if (!set) throw new BkvError('not-found', 'this deployment publishes no realm set');
      return { status: 200, body: set };
    },
  };
}
