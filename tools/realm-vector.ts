// Rewrites test/vectors/realm-v1.json from test/helpers/realm-vector.ts (run only when the protocol changes on
// purpose, which is a protocol version change: docs/protocol.md "Realms"); with --doc prints the doc's worked example.
import { writeFileSync } from 'node:fs';
import { computeRealmVector } from '../test/helpers/realm-vector.js';
import { workedExample } from '../test/helpers/realm-vector-doc.js';

const vector = await computeRealmVector();
// --doc: print docs/protocol.md's worked-example block instead of rewriting the vector
if (process.argv.includes('--doc')) process.stdout.write(`${workedExample(JSON.parse(JSON.stringify(vector)))}\n`);
else writeFileSync(new URL('../test/vectors/realm-v1.json', import.meta.url), `${JSON.stringify(vector, null, 2)}\n`);
