// `npm start`: the local vault on 127.0.0.1:${BKV_PORT:-8787}, data under ${BKV_DATA_DIR:-.bkv}.
// BKV_MAX_ATTEMPTS sets the guess limit (1–255, default 10); BKV_LOG=1 prints one line per request.
// Storage: BKV_MAX_BACKUP_BYTES (default 50 GiB), BKV_BACKUP_RETENTION (default 3), BKV_URL_TTL_SECONDS (default 3600),
// BKV_DELETED_RETENTION_DAYS (days a deleted repository object stays recoverable with `bkv undelete`; default 30).

import { STORAGE_FAULTS } from './s3.js';
import { startLocal } from './server.js';

// Everything the runtime creates from now on (database files, objects, keys) is readable by this user only; what
// exists already is tightened by startLocal.
process.umask(0o077);

// Node 20 is supported here (Lambda runs nodejs22.x); the SDK's notice about future versions is noise for users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const dataDir = process.env.BKV_DATA_DIR || '.bkv';
const port = Number(process.env.BKV_PORT || 8787);

try {
  const runtime = await startLocal({
    dataDir,
    port,
    maxAttempts: process.env.BKV_MAX_ATTEMPTS,
    repoQuotaBytes: process.env.BKV_REPO_QUOTA_BYTES,
    urlTtlSeconds: process.env.BKV_URL_TTL_SECONDS,
    deletedRetentionDays: process.env.BKV_DELETED_RETENTION_DAYS,
    onListening: (url) => void process.stdout.write(`bkv local vault starting on ${url}\n`),
    ...(process.env.BKV_LOG === '1'
      ? { observe: (o) => process.stdout.write(`${o.route} ${o.status}${o.code ? ` ${o.code}` : ''} ${o.ms.toFixed(1)}ms\n`) }
      : {}),
  });
  process.stdout.write(`bkv local vault listening on ${runtime.url} (data in ${dataDir})\n`);
  process.stdout.write(`sign in: bkv login --server ${runtime.url}   (local accounts; the login page has a sign-up link)\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('stopping\n');
    runtime.close().then(() => process.exit(0), () => process.exit(1));
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
