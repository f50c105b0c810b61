// `bkv login [--server URL] [--account NAME]`: signs this device in with the server's identity provider (OpenID
// Connect, authorization code + PKCE, loopback redirect; client/auth/sign-in.ts) and keeps the tokens in
// $BKV_HOME/sign-in.json (0600). The server becomes this device's default. Never prints a token.
// The account the person means: `--account`, else the account this device already holds a key for on this
// server (config.json, written by `bkv init`). A sign-in into any other account (on a shared machine: a flow
// another user completed into theirs) is refused and nothing is stored, so K never goes into someone else's vault.

import { openInBrowser } from '../../auth/browser.js';
import { type ConnectionFlags } from '../options.js';
import { Session } from '../session.js';
import { describeSignIn } from './logout.js';

export async function login(flags: ConnectionFlags, session = new Session(flags)): Promise<void> {
  const server = await session.server();
  const config = await session.config();
  const expected = flags.account ?? (config.server === server ? config.account : undefined);
  const { signIn } = await import('../../auth/sign-in.js');
  const signedIn = await signIn({
    server, store: session.signIns,
    ...(expected ? { expectSubject: expected } : {}),
    openBrowser: (url, flow) => {
      session.say(`waiting for the browser on port ${flow.port}: the sign-in page must name this port${expected ? `; sign in as ${expected}` : ''}`);
      return openInBrowser(url, (line) => session.say(line), session.env);
    },
  });
  await session.device.writeConfig({ ...config, server });
  session.say(`signed in to ${server} as ${describeSignIn(signedIn)}`);
}
