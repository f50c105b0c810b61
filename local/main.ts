// `npm start`: the local vault on 127.0.0.1:${BKV_PORT:-8787}, data under ${BKV_DATA_DIR:-.bkv}.
// BKV_MAX_ATTEMPTS sets the guess limit (1–255, default 10); BKV_LOG=1 prints one line per request.
// Storage: BKV_REPO_QUOTA_BYTES (bytes per account, default 50 GiB; the old name BKV_MAX_BACKUP_BYTES is read with a
// warning), BKV_URL_TTL_SECONDS (default 3600), BKV_DELETED_RETENTION_DAYS (days a deleted repository object stays
// recoverable with `bkv undelete`; default 30). The names: protocol/env.ts.
// Realms: BKV_REALMS=n (1–16, default 1) and BKV_REALM_THRESHOLD=t (default a majority) start n runtimes as a
// t-of-n realm set: realm 1 here (it runs the sign-in provider and publishes the set at GET /v1/realms), realm i on
// port BKV_PORT+i−1 with its own data dir (<data dir>/realm-i), sealer key and table, trusting realm 1's tokens.

import { STORAGE_FAULTS } from './s3.js';
import { SETTINGS, settingFromEnv } from '../protocol/env.js';
import { intSetting } from '../protocol/settings.js';
import { MAX_REALMS } from '../protocol/realm/constants.js';
import type { RealmSet } from '../protocol/realm/schemas.js';
import { join } from 'node:path';
import { DEFAULT_REALM_ID, startLocal, type LocalRuntime } from './server.js';
import { tuneThisProcess } from '../runtime/gc.js';

// Everything the runtime creates from now on (database files, objects, keys) is readable by this user only; what
// exists already is tightened by startLocal.
process.umask(0o077);

// this process is the runtime's own: the object store's request bodies are collected on demand (object-store/files.ts)
tuneThisProcess();

// Node 20 is supported here (Lambda runs nodejs22.x); the SDK's notice about future versions is noise for users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const dataDir = process.env.BKV_DATA_DIR || '.bkv';
const warn = (message: string) => void process.stderr.write(`bkv local: ${message}\n`);
const setting = (names: { local: string; localAliases?: readonly string[] }) => settingFromEnv(process.env, names.local, names.localAliases, warn);
const port = Number(process.env.BKV_PORT || 8787);

const realmId = (i: number) => (i === 1 ? DEFAULT_REALM_ID : Buffer.concat([Buffer.alloc(15), Buffer.of(i)]).toString('base64url'));

try {
  const realmCount = intSetting('BKV_REALMS', process.env.BKV_REALMS, { min: 1, max: MAX_REALMS, default: 1 });
  const threshold = intSetting('BKV_REALM_THRESHOLD', process.env.BKV_REALM_THRESHOLD, { min: 1, max: realmCount, default: Math.floor(realmCount / 2) + 1 });
  let set: RealmSet | undefined;
  const runtime = await startLocal({
    realm: { id: realmId(1), set: () => set },
    dataDir,
    port,
    maxAttempts: setting(SETTINGS.maxAttempts),
    repoQuotaBytes: setting(SETTINGS.repoQuotaBytes),
    urlTtlSeconds: setting(SETTINGS.urlTtlSeconds),
    deletedRetentionDays: setting(SETTINGS.deletedRetentionDays),
    onListening: (url) => void process.stdout.write(`bkv local vault starting on ${url}\n`),
    ...(process.env.BKV_LOG === '1'
      ? { observe: (o) => process.stdout.write(`${o.route} ${o.status}${o.code ? ` ${o.code}` : ''} ${o.ms.toFixed(1)}ms\n`) }
      : {}),
  });
  const others: LocalRuntime[] = [];
  for (let i = 2; i <= realmCount; i++) {
    others.push(await startLocal({
      dataDir: join(dataDir, `realm-${i}`), port: port === 0 ? 0 : port + i - 1, maxAttempts: setting(SETTINGS.maxAttempts),
      realm: { id: realmId(i), trust: runtime.trustAnchor },
    }));
  }
  if (realmCount > 1) {
    set = { threshold, realms: [runtime, ...others].map((r, i) => ({ id: realmId(i + 1), url: r.url, publicKey: r.realmPublicKey, operator: `local realm ${i + 1}` })) };
    process.stdout.write(`realm set: ${realmCount} realms, any ${threshold} recover (GET ${runtime.url}/v1/realms)\n`);
    others.forEach((r, i) => process.stdout.write(`  realm ${i + 2} on ${r.url} (data in ${join(dataDir, `realm-${i + 2}`)})\n`));
  }
  process.stdout.write(`bkv local vault listening on ${runtime.url} (data in ${dataDir})\n`);
  process.stdout.write(`sign in: bkv login --server ${runtime.url}   (local accounts; the login page has a sign-up link)\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('stopping\n');
    Promise.all([runtime, ...others].map((r) => r.close())).then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (e) {
  const code = (e as NodeJS.ErrnoException).code;
  const message = code === 'EADDRINUSE' ? `port ${port} is in use (set BKV_PORT)`
    : STORAGE_FAULTS.has(code ?? '') || /storage is full/.test(String((e as Error).message))
      ? `the disk under ${dataDir} is full (or failing); free some space and start again (nothing was lost)`
      : (e as Error).message;
  process.stderr.write(`bkv: cannot start: ${message}\n`);
  process.exit(1);
}
