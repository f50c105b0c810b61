// A closed blob pool takes no more tasks: each fails at once as 'cancelled' and no worker is started (one started
// after close was never stopped, and its port kept a failed restore's process alive for ever). The end-to-end
// case (a restore of swapped packs ends with exit 5) is test/security/false-storage-server.test.ts.

import { describe, expect, it } from 'vitest';
import { BlobPool } from '../../../../client/repo/blobs/blob-pool.js';
import type { GetOpenTask, SealPutTask } from '../../../../client/repo/blobs/blob-messages.js';
import { ClientError } from '../../../../client/errors.js';

describe('BlobPool after close', () => {
  it.for([['before any task'], ['after its workers started']] as const)('%s: a task fails as cancelled and no worker runs', async ([when]) => {
    const pool = new BlobPool(1);
    if (when === 'after its workers started') {
      // any task that needs a worker starts them; this one fails on the worker (no such object), which is fine here
      await pool.getOpen({ get: { url: 'http://127.0.0.1:9/none' }, offset: 0 } as unknown as GetOpenTask).catch(() => undefined);
      expect(pool.stats).toHaveLength(1);
    }
    await pool.close();
    await expect(pool.sealPut({ size: 1, put: { url: 'http://127.0.0.1:9/none' } } as unknown as SealPutTask)).rejects.toSatisfy(
      (e) => e instanceof ClientError && e.kind === 'cancelled',
    );
    await expect(pool.getOpen({ get: { url: 'http://127.0.0.1:9/none' }, offset: 0 } as unknown as GetOpenTask)).rejects.toBeInstanceOf(ClientError);
    expect(pool.stats).toEqual([]);
    expect(pool.busy).toBe(0);
  });
});
