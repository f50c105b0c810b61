// `bkv login [--server URL]`: signs this device in with the server's identity provider (OpenID Connect,
// authorization code + PKCE, loopback redirect; client/auth/sign-in.ts) and keeps the tokens in
// $BKV_HOME/sign-in.json (0600). The server becomes this device's default. Never prints a token.

import { openInBrowser } from '../../auth/browser.js';
import { type ConnectionFlags } from '../options.js';
import { Session } from '../session.js';
import { describeSignIn } from './logout.js';

export async function login(flags: ConnectionFlags, session = new Session(flags)): Promise<void> {
  const server = await session.server();
  const { signIn } = await import('../../auth/sign-in.js');
  const signedIn = await signIn({
    server, store: session.signIns, openBrowser: (url) => openInBrowser(url, (line) => session.say(line), session.env),
  });
  const config = await session.config();
  await session.device.writeConfig({ ...config, server });
  session.say(`signed in to ${server} as ${describeSignIn(signedIn)}`);
}
