// The one bounded body reader of the local runtime (API server, DynamoDB and S3 fronts): the whole body, or
// BodyTooLarge once it passes `limit` (the rest is drained, so the connection can still answer); and a budget of the
// bytes all bodies of one front may hold in memory at once.

export class BodyTooLarge extends Error {}

export function readBody(stream: NodeJS.ReadableStream, limit = Infinity): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stream.removeAllListeners('data');
        stream.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** The shared budget is spent: too many bodies are held in memory at once. */
export class BodiesBusy extends Error {}

/**
 * A cap on the bytes of request bodies held in memory at once across all connections of one front: a body is read
 * only after its share (its declared length, or the per-request limit when it has none) is taken, and the share is
 * given back when the request is done with it.
 */
export class BodyBudget {
  private held = 0;

  constructor(readonly total: number) {}

  get inUse(): number {
    return this.held;
  }

  /** Reads the whole body (at most `limit` bytes) within the budget; BodiesBusy if its share is not free. */
  async read(req: NodeJS.ReadableStream & { headers: Record<string, string | string[] | undefined> }, limit: number): Promise<{ body: Buffer; done: () => void }> {
    const declared = req.headers['content-length'];
    const share = typeof declared === 'string' && /^\d+$/.test(declared) ? Math.min(Number(declared), limit + 1) : limit + 1;
    if (this.held + share > this.total) throw new BodiesBusy();
    this.held += share;
    let given = false;
    const done = () => {
      if (!given) this.held -= share;
      given = true;
    };
    try {
      return { body: await readBody(req, Math.min(limit, share)), done };
    } catch (e) {
      done();
      throw e;
    }
  }
}
