// Types of direct.js (a blob worker's own transfers to and from presigned URLs).

import type { SealTask } from '../blobs/blob-ops.js';
import type { DirectRequest } from './store.js';

export type DirectAnswer = { ok: true; miss?: undefined } | { ok?: undefined; miss: string };

export declare function putSealed(target: DirectRequest, task: SealTask, timeoutMs: number): Promise<DirectAnswer>;
export declare function getDirect(target: DirectRequest, offset: number, length: number, into: Buffer, timeoutMs: number): Promise<DirectAnswer>;
