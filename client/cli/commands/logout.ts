// `bkv logout`: revokes this device's refresh token at the identity provider (RFC 7009; also the access token
// where the provider takes it) and forgets the sign-in. The next command that needs the server says to sign in.

import type { StoredSignIn } from '../../auth/token-store.js';
import { type ConnectionFlags } from '../options.js';
import { Session } from '../session.js';

/** "alice (alice@example.com), until 12:00" for humans; never a token. */
export function describeSignIn(s: StoredSignIn): string {
  const who = s.name && s.name !== s.subject ? `${s.subject} (${s.name})` : s.subject;
  const until = s.refreshToken
    ? `renewed automatically${s.refreshExpiresAt ? ` until ${new Date(s.refreshExpiresAt).toISOString()}` : ' until you sign out or the provider ends the session'}`
    : `until ${new Date(s.expiresAt).toISOString()} (no refresh token: sign in again then)`;
  return `${who}, ${until}`;
}

export async function logout(flags: ConnectionFlags, session = new Session(flags)): Promise<void> {
  const server = await session.server();
  const { signOut } = await import('../../auth/sign-in.js');
  const result = await signOut(session.signIns, server);
  if (!result.signedIn) {
    session.say(`not signed in to ${server}`);
    return;
  }
  session.say(`signed out of ${server} (${result.subject}): ${result.revoked
    ? 'the identity provider revoked the refresh token'
    : 'forgotten on this device; the identity provider did not confirm a revocation'}`);
}
