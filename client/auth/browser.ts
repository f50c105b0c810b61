// Opening the sign-in page the way `gh` and `gcloud` do: `BROWSER` names the command to run (`BROWSER=none`
// prints the URL only); without it the platform's opener (`open`, `xdg-open` when there is a display, `start`);
// with none, or when it fails, the URL is printed for the user to open, on this or another machine's browser
// (the loopback redirect then has to reach this machine, e.g. through an SSH tunnel).
// The URL itself never goes on a command line, where every user of the machine reads it (/proc/<pid>/cmdline):
// the browser is given a `file://` page, 0600 in a fresh 0700 directory, that sends it on to the URL, and the
// page is removed when the sign-in ends. The printed URL goes to the user's terminal only. Browsers that cannot
// read the temporary directory (a snap-confined one) show an error; the printed URL then works.

import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export type Say = (line: string) => void;

function opener(env: NodeJS.ProcessEnv): [string, string[]] | undefined {
  if (env.BROWSER !== undefined) {
    const cmd = env.BROWSER.trim();
    return cmd === '' || cmd === 'none' ? undefined : [cmd, []];
  }
  if (process.platform === 'darwin') return ['open', []];
  if (process.platform === 'win32') return ['cmd', ['/c', 'start', '""']];
  if (env.DISPLAY || env.WAYLAND_DISPLAY) return ['xdg-open', []];
  return undefined;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A page readable by this user only that sends the browser on to `url`; returns its file URL and its removal. */
async function privateRedirectPage(url: URL): Promise<{ page: URL; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'bkv-login-'));
  const file = join(dir, 'sign-in.html');
  const href = escapeHtml(url.href);
  await writeFile(file, '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">'
    + `<meta http-equiv="refresh" content="0;url=${href}"><title>bkv sign-in</title></head>`
    + `<body><p><a href="${href}">Continue to the sign-in page</a></p></body></html>`, { mode: 0o600, flag: 'wx' });
  return { page: pathToFileURL(file), remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Shows `url` to the user: always printed, and opened in a browser (through a private page, see the header) when
 * one is configured or found. Returns the clean-up to run when the sign-in ends.
 */
export async function openInBrowser(url: URL, say: Say, env: NodeJS.ProcessEnv = process.env): Promise<() => Promise<void>> {
  const how = opener(env);
  if (!how) {
    say(`open this page in a browser to sign in:\n  ${url.href}`);
    return async () => undefined;
  }
  say(`opening the sign-in page in your browser; if it does not open, go to:\n  ${url.href}`);
  const { page, remove } = await privateRedirectPage(url);
  await new Promise<void>((resolve) => {
    const child = spawn(how[0], [...how[1], page.href], { stdio: 'ignore', detached: true });
    child.once('error', () => {
      say(`(could not run ${how[0]}; open the page above yourself)`);
      resolve();
    });
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
  return remove;
}
