// What an attacker can do with OPAQUE answers, offline: tests count the password-testable answers each attacker
// capability obtains (docs/threat-model.md, "Attacker capabilities"). No server code is used here; the attacker
// has only what crosses the wire and the public opaque client.
//
// An answer is password-testable when, together with a guess, it confirms or refutes the guess without asking
// the server again. A KE2 (login response) is one: RFC 9807 masks the server public key and envelope under the
// record's masking key, which follows from the password and the OPRF key of the record's credential identifier.
// So anyone who can get that OPRF evaluated on a guess, outside the counted login start, can test the guess
// against any KE2 of the record: that was the registration oracle.

import * as opaque from '@serenity-kit/opaque';
import { expand } from '@noble/hashes/hkdf.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { decodeBase64url } from '../../protocol/base64url.js';
import { CHEAP_STRETCHING } from '../helpers/local.js';

/** ristretto255 / SHA-512 sizes (RFC 9807 §4, opaque-ke 4): public key, nonce, hash output, envelope. */
const NPK = 32;
const NN = 32;
const NH = 64;
const ENVELOPE = NN + NH;

/** RFC 9807 §6.1: a registration record is client_public_key ‖ masking_key ‖ envelope. */
export function maskingKeyOf(registrationRecord: string): Uint8Array {
  const record = decodeBase64url(registrationRecord)!;
  return record.subarray(NPK, NPK + NH);
}

/** The server public key in a registration response (evaluated_message ‖ server_public_key). */
export function serverPublicKeyOf(registrationResponse: string): Uint8Array {
  const response = decodeBase64url(registrationResponse)!;
  return response.subarray(32, 32 + NPK);
}

/**
 * RFC 9807 §6.3.2.2: KE2 begins evaluated_message ‖ masking_nonce ‖ masked_response, where masked_response is
 * (server_public_key ‖ envelope) XOR Expand(masking_key, masking_nonce ‖ "CredentialResponsePad"). A guess whose
 * masking key unmasks the server's public key is the password.
 */
export function guessMatchesKe2(loginResponse: string, maskingKey: Uint8Array, serverPublicKey: Uint8Array): boolean {
  const ke2 = decodeBase64url(loginResponse)!;
  const nonce = ke2.subarray(32, 32 + NN);
  const masked = ke2.subarray(32 + NN, 32 + NN + NPK + ENVELOPE);
  const info = new Uint8Array([...nonce, ...new TextEncoder().encode('CredentialResponsePad')]);
  const pad = expand(sha512, maskingKey, info, NPK + ENVELOPE);
  return serverPublicKey.every((b, i) => (masked[i]! ^ pad[i]!) === b);
}

/**
 * One registration-oracle probe: ask `registrationStart` to evaluate the OPRF on `guess`, finish the
 * registration locally, and test the guess against `ke2`. True means the answer confirmed the guess.
 */
export async function probeWithRegistrationStart(
  registrationStart: (registrationRequest: string) => Promise<string>, guess: string, ke2: string,
): Promise<boolean> {
  await opaque.ready;
  const { clientRegistrationState, registrationRequest } = opaque.client.startRegistration({ password: guess });
  const registrationResponse = await registrationStart(registrationRequest);
  const { registrationRecord } = opaque.client.finishRegistration({
    clientRegistrationState, registrationResponse, password: guess, keyStretching: CHEAP_STRETCHING,
  });
  return guessMatchesKe2(ke2, maskingKeyOf(registrationRecord), serverPublicKeyOf(registrationResponse));
}

/** A counted login start made with `guess`: the KE2 tests exactly that one guess (the client's own finish). */
export function ke2ConfirmsOwnGuess(clientLoginState: string, loginResponse: string, guess: string): boolean {
  return opaque.client.finishLogin({ clientLoginState, loginResponse, password: guess, keyStretching: CHEAP_STRETCHING }) !== undefined;
}
