// Opening the sign-in page the way `gh` and `gcloud` do: `BROWSER` names the command to run (`BROWSER=none`
// prints the URL only); without it the platform's opener (`open`, `xdg-open` when there is a display, `start`);
// with none, or when it fails, the URL is printed for the user to open, on this or another machine's browser
// (the loopback redirect then has to reach this machine, e.g. through an SSH tunnel).

import { spawn } from 'node:child_process';

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

/** Shows `url` to the user: always printed, and opened in a browser when one is configured or found. */
export async function openInBrowser(url: URL, say: Say, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const how = opener(env);
  if (!how) {
    say(`open this page in a browser to sign in:\n  ${url.href}`);
    return;
  }
  say(`opening the sign-in page in your browser; if it does not open, go to:\n  ${url.href}`);
  await new Promise<void>((resolve) => {
    const child = spawn(how[0], [...how[1], url.href], { stdio: 'ignore', detached: true });
    child.once('error', () => {
      say(`(could not run ${how[0]}; open the page above yourself)`);
      resolve();
    });
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
