// The worked example of docs/protocol.md "Realms, a worked example": every value of the committed realm vector
// (test/vectors/realm-v1.json) as `path = hex` lines in protocol order, with the step each comes from. `npx tsx
// tools/realm-vector.ts --doc` prints the block; test/protocol/realm/realm-vector-doc.test.ts parses the block in
// the doc and holds each value to the vector (and the vector's every value to the doc), so the two cannot drift.

type Json = string | number | null | Json[] | { [k: string]: Json };

/**
 * Vector values the doc leaves out: the record layout (its fields in a row, as step 9 says), record fields that repeat
 * a registration value (version, k_i, the commitment, e_i, encryptedSecret), and inputs the comment states.
 */
export const OMITTED = [
  /^records\[\d\]\.(sealedLayout|version|oprfShare|unlockKeyCommitment|encryptionShare|encryptedSecret)$/,
  /^input\.(description|stretching\.\w+|recoverFrom\[\d\])$/,
];

const WIDTH = 64;

/** Every leaf of the vector by path: `a.b[2].c`. Strings and numbers as they are. */
export function leaves(value: Json, path = ''): Map<string, string> {
  const out = new Map<string, string>();
  if (Array.isArray(value)) value.forEach((v, i) => leaves(v, `${path}[${i}]`).forEach((x, k) => out.set(k, x)));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) leaves(v, path ? `${path}.${k}` : k).forEach((x, p) => out.set(p, x));
  } else out.set(path, String(value));
  return out;
}

function line(path: string, value: string): string[] {
  if (!/^[0-9a-f]+$/.test(value) || value.length <= WIDTH) return [`${path} = ${/^[0-9a-f]+$|^\d+$/.test(value) ? value : JSON.stringify(value)}`];
  const chunks = value.match(new RegExp(`.{1,${WIDTH}}`, 'g'))!;
  return [`${path} =`, ...chunks.map((c) => `    ${c}`)];
}

/** The ```text block of the doc, in the order of the steps of docs/protocol.md "Registration" and "Recovery". */
export function workedExample(vector: Json): string {
  const all = leaves(vector);
  const used = new Set<string>();
  const out: string[] = [];
  const take = (re: RegExp, comment: string) => {
    const hits = [...all.keys()].filter((k) => re.test(k) && !used.has(k) && !OMITTED.some((o) => o.test(k)));
    if (hits.length === 0) throw new Error(`worked example: nothing matches ${re}`);
    out.push('', `# ${comment}`);
    for (const k of hits) {
      used.add(k);
      out.push(...line(k, all.get(k)!));
    }
  };
  take(/^input\./, 'inputs (Argon2id here: t = 1, m = 1024 KiB, p = 1; the realms recovered from: 1 and 3)');
  take(/^realmKeys\[/, 'each realm\'s registration key pair: DeriveKeyPair(input.realmKeySeeds[i]) (RFC 9180 7.1.3)');
  take(/^registration\.(version|realmSetDigest|salt)$/, 'registration 1-2: version (random), setDigest, salt');
  take(/^registration\.(accessKey|encryptionSeed)$/, 'registration 3: Argon2id → accessKey ‖ encryptionSeed');
  take(/^registration\.oprf(Key|Shares\[\d\])$/, 'registration 4: k (random) and its shares k_1..k_3 (x = 1, 2, 3)');
  take(/^registration\.(oprfOutput|unlockKey|unlockKeyCommitment)$/, 'registration 5: VOPRF output under k, unlockKey, its commitment');
  take(/^registration\.signingSeed$/, 'registration 6: the throwaway signing seed (random)');
  take(/^registration\.(encryptionScalar|encryptionShares\[\d\]|encryptionKey|encryptedSecret)$/,
    'registration 7: e (random), its shares, encryptionKey, encryptedSecret = nonce ‖ ciphertext ‖ tag');
  for (const i of [0, 1, 2]) {
    take(new RegExp(`^records\\[${i}\\]\\.(?!registrationBox)`), `registration 4, 6, 8: realm ${i + 1}'s record: P_i, its signature, signingKey, unlockPublicKey_i, secretCommitment_i`);
    take(new RegExp(`^records\\[${i}\\]\\.registrationBox\\.`), `registration 9: realm ${i + 1}'s box: info, ikmE (random), enc, box = HPKE.Seal(record)`);
  }
  take(/^recovery\.(accessKey|blind|blindedElement)$/, 'recovery 2: accessKey again, the blind (random), the blinded element');
  take(/^recovery\.answers\[/, 'recovery 3: realms 1 and 3 evaluate their shares, with DLEQ proofs (realm index 0-based)');
  take(/^recovery\.(combinedElement|oprfOutput|unlockKey)$/, 'recovery 4: Lagrange combination at x = 1, 3; Finalize; unlockKey (its commitment matches)');
  take(/^recovery\.unlockSteps\[/, 'recovery 5: per realm: its challenge, the client box key pair, the unlock proof, the realm\'s share box');
  take(/^recovery\.backupKey$/, 'recovery 6: K');
  const left = [...all.keys()].filter((k) => !used.has(k) && !OMITTED.some((o) => o.test(k)));
  if (left.length > 0) throw new Error(`worked example: vector values not placed: ${left.join(', ')}`);
  return ['```text', ...out.slice(1), '```'].join('\n');
}

/** The `path = value` pairs of the doc's worked-example block (continuation lines are indented hex). */
export function parseWorkedExample(markdown: string): Map<string, string> {
  const start = markdown.indexOf('### A worked example');
  if (start < 0) throw new Error('no worked example section');
  const section = markdown.slice(start);
  const block = /```text\n([\s\S]*?)\n```/.exec(section);
  if (!block) throw new Error('no text block in the worked example');
  const out = new Map<string, string>();
  let current: string | undefined;
  for (const raw of block[1]!.split('\n')) {
    if (raw.trim() === '' || raw.startsWith('#')) continue;
    const cont = /^ {4}([0-9a-f]+)$/.exec(raw);
    if (cont && current) {
      out.set(current, out.get(current)! + cont[1]!);
      continue;
    }
    const m = /^(\S+) =(?: (.*))?$/.exec(raw);
    if (!m) throw new Error(`worked example: cannot read line "${raw}"`);
    current = m[1]!;
    const v = m[2] ?? '';
    out.set(current, v.startsWith('"') ? (JSON.parse(v) as string) : v);
  }
  return out;
}
