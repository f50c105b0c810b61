// Raw OPAQUE client steps for tests that drive the wire protocol by hand (replays, bad finishes, races).

import * as opaque from '@serenity-kit/opaque';
import { CHEAP_STRETCHING } from './local.js';

export interface StartedRegistration {
  registrationId: string;
  registrationResponse: string;
}

/** Registration with the cheap stretching: `start` answers registration/start; the result adds its registrationId. */
export async function registrationFor(password: string, start: (registrationRequest: string) => Promise<StartedRegistration>) {
  await opaque.ready;
  const { clientRegistrationState, registrationRequest } = opaque.client.startRegistration({ password });
  const { registrationId, registrationResponse } = await start(registrationRequest);
  const finished = opaque.client.finishRegistration({ clientRegistrationState, registrationResponse, password, keyStretching: CHEAP_STRETCHING });
  return { ...finished, registrationId, registrationResponse };
}

export async function loginStartFor(password: string) {
  await opaque.ready;
  return opaque.client.startLogin({ password });
}

export function loginFinishFor(clientLoginState: string, loginResponse: string, password: string) {
  return opaque.client.finishLogin({ clientLoginState, loginResponse, password, keyStretching: CHEAP_STRETCHING });
}
