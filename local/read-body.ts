// The one bounded body reader of the local runtime (API server, DynamoDB and S3 fronts): the whole body, or
// BodyTooLarge once it passes `limit` (the rest is drained, so the connection can still answer).

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
