// Rewrites test/vectors/realm-v1.json from test/helpers/realm-vector.ts (run only when the protocol changes on
// purpose, which is a protocol version change: docs/protocol.md "Realms").
import { writeFileSync } from 'node:fs';
import { computeRealmVector } from '../test/helpers/realm-vector.js';

writeFileSync(new URL('../test/vectors/realm-v1.json', import.meta.url), `${JSON.stringify(await computeRealmVector(), null, 2)}\n`);
