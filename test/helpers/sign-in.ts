// Test helper: the browser's part of the local provider's sign-in without a browser: follows the authorization
// request through the login page (or the sign-up form) with a cookie jar, and returns where the provider finally
// redirects (the client's loopback callback with `code` and `state`), without calling it. The real browser runs
// in test/e2e/sign-in.test.ts; this is for the many refusals of test/local/sign-in-bad-input.test.ts.

export interface BrowserLike {
  /** Follows redirects within the provider; returns the first redirect that leaves it (the callback URL). */
  authorize(url: URL, username: string, password: string, options?: { signup?: boolean; cancel?: boolean }): Promise<URL>;
  /** Raw request with the jar's cookies (no redirect following). */
  request(url: URL, init?: RequestInit): Promise<Response>;
  /** A copy of the jar (what any listener on another loopback port would receive: cookies ignore ports). */
  cookies(): Map<string, { value: string; path: string }>;
}

export function cookieBrowser(initial: Map<string, { value: string; path: string }> = new Map()): BrowserLike {
  const jar = new Map(initial);
  const cookieHeader = (url: URL) => [...jar.entries()]
    .filter(([, c]) => url.pathname.startsWith(c.path))
    .map(([k, c]) => `${k}=${c.value}`).join('; ');
  const request = async (url: URL, init: RequestInit = {}): Promise<Response> => {
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: cookieHeader(url) } });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const [name, ...rest] = pair!.split('=');
      const path = attrs.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      const value = rest.join('=');
      const expired = attrs.some((a) => /expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') jar.delete(name!.trim());
      else jar.set(name!.trim(), { value, path });
    }
    return res;
  };
  return {
    request,
    cookies: () => new Map(jar),
    async authorize(start, username, password, options = {}) {
      let url = start;
      for (let hop = 0; hop < 12; hop++) {
        const res = await request(url);
        const location = res.headers.get('location');
        if (res.status === 200 && /\/local\/login\//.test(url.pathname)) {
          await res.text();
          const action = new URL(`${url.pathname}/${options.cancel ? 'cancel' : options.signup ? 'signup' : 'login'}`, url);
          const posted = await request(action, {
            method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ username, password }).toString(),
          });
          const next = posted.headers.get('location');
          if (!next) throw new Error(`login refused: ${posted.status} ${await posted.text()}`);
          url = new URL(next, url);
          continue;
        }
        if (!location) throw new Error(`no redirect from ${url.pathname}: ${res.status} ${await res.text()}`);
        const next = new URL(location, url);
        if (next.origin !== start.origin) return next;
        url = next;
      }
      throw new Error('too many redirects');
    },
  };
}
