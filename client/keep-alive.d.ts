// Types of keep-alive.js (keep-alive agents whose idle connections are never reused past their limit).
import type { Agent as HttpAgent, AgentOptions as HttpAgentOptions, ClientRequest } from 'node:http';
import type { Agent as HttpsAgent, AgentOptions as HttpsAgentOptions } from 'node:https';

export const KEEP_ALIVE_MS: number;

export interface FreshAgentOptions extends HttpsAgentOptions, HttpAgentOptions {
  /** How long an idle connection may be reused (ms); default KEEP_ALIVE_MS. */
  keepAliveMs?: number;
}

export const FreshHttpAgent: new (options?: FreshAgentOptions) => HttpAgent;
export const FreshHttpsAgent: new (options?: FreshAgentOptions) => HttpsAgent;

export function keepAliveAgents(options?: FreshAgentOptions): { http: HttpAgent; https: HttpsAgent };

export function staleReuse(req: ClientRequest, answered: boolean, error: unknown): boolean;
