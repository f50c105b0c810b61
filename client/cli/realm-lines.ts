// How `bkv init` and `bkv status` show a realm set to people: who guards the password (client/cli/realm-pin.ts
// guardians) and one line per realm with its operator, URL and the attempts left there (docs/protocol.md "Realms").

import type { RealmView } from '../vault-client.js';

/** "  realm 2: Team B, https://… · 7 of 7 attempts left" (or not reachable, no key kept, locked). */
export function realmLines(realms: readonly RealmView[]): string[] {
  return realms.map((r, i) => `  realm ${i + 1}: ${r.operator ? `${r.operator}, ` : ''}${r.url} · ${!r.reachable ? 'not reachable'
    : !r.registered ? 'no key kept' : r.locked ? 'locked' : `${r.attemptsRemaining} of ${r.allowedGuesses} attempts left`}`);
}
