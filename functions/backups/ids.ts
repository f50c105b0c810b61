// Backup ids and object keys. Ids are lowercase ULIDs (protocol/backups-schemas.ts), monotonic within a process so
// backups made in the same millisecond still sort in creation order. Objects live under a prefix owned by the
// account: accounts/<base64url(utf8 account)>/backups/<backupId>.age (base64url has no '/', so no account's
// prefix is a prefix of another's).

import { decodeBase64url, encodeBase64url } from '../../protocol/base64url.js';
import { BACKUP_ID_PATTERN } from '../../protocol/backups-schemas.js';
import { defaultRandomBytes, type RandomBytes } from '../../protocol/random.js';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;
const RANDOM_MAX = (1n << 80n) - 1n;

function encode(value: bigint, chars: number): string {
  let out = '';
  for (let i = 0; i < chars; i++) {
    out = CROCKFORD[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

/** A generator of ids: time-sortable, strictly increasing for calls from one generator. */
export function backupIdGenerator(random: RandomBytes = defaultRandomBytes): (now: number) => string {
  let lastTime = -1;
  let lastRandom = 0n;
  return (now) => {
    let time = Math.max(0, Math.floor(now));
    let rand: bigint;
    if (time <= lastTime && lastRandom < RANDOM_MAX) {
      time = lastTime;
      rand = lastRandom + 1n;
    } else {
      if (time <= lastTime) time = lastTime + 1;
      rand = BigInt(`0x${Buffer.from(random(10)).toString('hex')}`);
    }
    lastTime = time;
    lastRandom = rand;
    return encode(BigInt(time), TIME_CHARS) + encode(rand, RANDOM_CHARS);
  };
}

/** The key prefix every object of the account lives under. */
export function accountPrefix(account: string): string {
  return `accounts/${encodeBase64url(Buffer.from(account, 'utf8'))}/`;
}

export function objectKey(account: string, backupId: string): string {
  return `${accountPrefix(account)}backups/${backupId}.age`;
}

/** The account and backup id of a key made by objectKey, or undefined for any other key. */
export function parseObjectKey(key: string): { account: string; backupId?: string } | undefined {
  const match = /^accounts\/([A-Za-z0-9_-]+)\/(?:backups\/([^/]+)\.age$)?/.exec(key);
  const raw = match?.[1] ? decodeBase64url(match[1]) : undefined;
  if (!match || !raw) return undefined;
  const account = Buffer.from(raw).toString('utf8');
  const backupId = match[2];
  return backupId !== undefined && BACKUP_ID_PATTERN.test(backupId) ? { account, backupId } : { account };
}
