// Types of raw-get.js (a ranged GET over plain HTTP/1.1 into the caller's buffer).

import type { DirectRequest } from './store.js';

export declare function rawGet(target: DirectRequest, offset: number, into: Buffer, timeoutMs: number): Promise<{ ok: true; miss?: undefined } | { ok?: undefined; miss: string }>;
export declare function parseHead(text: string): { status: number; headers: Map<string, string>; keepAlive: boolean } | undefined;
export declare function closeIdle(): void;
