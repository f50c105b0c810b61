// `bkv --version` names the package version and the protocol version, from package.json and protocol/constants.ts.

import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../../protocol/constants.js';
import { bkv } from '../helpers/cli.js';

it('bkv --version and -V print the package and protocol versions and exit 0', async () => {
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = await bkv([flag], {});
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`bkv ${version} (protocol ${PROTOCOL_VERSION})\n`);
  }
});
