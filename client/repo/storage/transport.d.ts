// Types of transport.js (the one transport of object bytes to and from presigned URLs).
import type { Agent as HttpAgent, ClientRequest, IncomingHttpHeaders } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { DirectRequest } from './store.js';

export interface Agents {
  http: HttpAgent;
  https: HttpsAgent;
}

export interface ExchangeOptions {
  method: 'GET' | 'PUT';
  headers?: Record<string, string>;
  body?: Uint8Array | ((req: ClientRequest) => Promise<void>);
  agents: Agents;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Where a body of this declared length goes (up to the buffer's length); undefined: gathered in pieces. */
  into?: (declaredLength: number | undefined) => Buffer | undefined;
  /** The bound of a body gathered in pieces. */
  maxBytes?: number;
}

export type Exchanged =
  | { status: number; headers: IncomingHttpHeaders; body: Buffer; miss?: undefined }
  | { miss: string; why: 'url' | 'network' | 'too-long'; status?: undefined; headers?: undefined; body?: undefined };

export declare function exchange(url: string, options: ExchangeOptions): Promise<Exchanged>;
export declare function getRange(target: DirectRequest, offset: number, into: Buffer, agents: Agents, timeoutMs: number): Promise<{ ok: true; miss?: undefined } | { ok?: undefined; miss: string }>;
