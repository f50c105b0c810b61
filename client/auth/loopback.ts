// The loopback redirect of a native app's sign-in (RFC 8252 §7.3, §8.3): a one-shot HTTP listener on the
// loopback interface that receives the authorization response. It binds 127.0.0.1 only, never a public interface.
// Providers that allow any loopback port get an ephemeral one; providers that match redirect URIs exactly
// (Cognito, which also takes only `http://localhost`) get the first free port of a small fixed list
// (protocol/sign-in.ts, FIXED_CALLBACK_PORTS), the same list the CDK app registers.
// The listener answers only `GET /callback`; the first answer carrying `state` or `error` ends it.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClientError } from '../errors.js';
import { CALLBACK_PATH } from '../../protocol/sign-in.js';

export interface Loopback {
  /** The redirect URI to send (host as the provider has it registered, the port actually bound). */
  redirectUri: string;
  /** Resolves with the full callback URL the browser was sent to. */
  callback: Promise<URL>;
  close(): Promise<void>;
}

export interface LoopbackOptions {
  host: '127.0.0.1' | 'localhost';
  /** Ports to try in order; empty: any free port. */
  ports: readonly number[];
  /** Gives up after this long (default 5 minutes). */
  timeoutMs?: number;
  /** Shown in the browser once the answer arrived. */
  donePage?: (ok: boolean, message: string) => string;
}

const BIND = '127.0.0.1';

function listen(server: Server, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (e.code === 'EADDRINUSE' || e.code === 'EACCES') resolve(false);
      else reject(e);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(true);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, BIND);
  });
}

function defaultPage(ok: boolean, message: string): string {
  const safe = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bkv</title></head><body style="font-family:system-ui,sans-serif;max-width:30rem;margin:4rem auto">`
    + `<h1>${ok ? 'Signed in' : 'Sign-in failed'}</h1><p>${safe}</p></body></html>`;
}

export async function startLoopback(options: LoopbackOptions): Promise<Loopback> {
  let settle: { resolve: (u: URL) => void; reject: (e: Error) => void } | undefined;
  const callback = new Promise<URL>((resolve, reject) => (settle = { resolve, reject }));
  callback.catch(() => undefined); // observed by the caller; never an unhandled rejection
  const page = options.donePage ?? defaultPage;
  let done = false;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', `http://${options.host}`);
    const headers = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };
    if (req.method !== 'GET' || url.pathname !== CALLBACK_PATH) {
      res.writeHead(404, headers).end(page(false, 'Not the sign-in callback.'));
      return;
    }
    if (done) {
      res.writeHead(409, headers).end(page(false, 'This sign-in already ended. Start again with bkv login.'));
      return;
    }
    if (!url.searchParams.has('state') && !url.searchParams.has('error')) {
      res.writeHead(400, headers).end(page(false, 'The answer carries no state.'));
      return;
    }
    done = true;
    const error = url.searchParams.get('error');
    res.writeHead(error ? 400 : 200, headers).end(page(!error,
      error ? `The provider said: ${error}. Return to the terminal.` : 'You can close this tab and return to the terminal.'));
    settle!.resolve(new URL(`${redirectUri}${url.search}`));
  });
  server.keepAliveTimeout = 1000;

  let bound = false;
  for (const port of options.ports.length > 0 ? options.ports : [0]) {
    if (await listen(server, port)) {
      bound = true;
      break;
    }
  }
  if (!bound) {
    throw new ClientError('sign-in', `cannot listen for the sign-in answer: ports ${options.ports.join(', ')} on ${BIND} are all in use`);
  }
  const port = (server.address() as AddressInfo).port;
  const redirectUri = `http://${options.host}:${port}${CALLBACK_PATH}`;
  const timer = setTimeout(() => {
    if (!done) settle!.reject(new ClientError('sign-in', 'sign-in timed out: no answer from the browser; run bkv login again'));
  }, options.timeoutMs ?? 5 * 60_000);
  timer.unref();
  return {
    redirectUri,
    callback,
    close: () => new Promise<void>((resolve) => {
      clearTimeout(timer);
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
