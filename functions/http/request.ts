// Parsing of API Gateway HTTP API (payload 2.0) events: the account from the verified JWT's `sub` (and nowhere
// else, invariant 7), the JSON body bounded to 64 KiB and checked by a zod schema. Every failure is a BkvError
// with a 4xx code; no input value is echoed back.

import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import type { z } from 'zod';
import { MAX_ACCOUNT_ID_LENGTH, MAX_BODY_BYTES } from '../../protocol/constants.js';
import { BkvError } from '../../protocol/errors.js';

export type ApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer;

/** Account ids (JWT `sub`): printable ASCII without '#' (reserved for config items) or '/'. */
export const ACCOUNT_ID = new RegExp(`^[A-Za-z0-9._@:|+=-]{1,${MAX_ACCOUNT_ID_LENGTH}}$`);

/**
 * The account of a verified token. The authorizer checked signature, issuer, audience and expiry; a token without
 * `exp` (valid forever once stolen) is refused here too, whatever the identity provider issues.
 */
export function accountOf(event: ApiEvent): string {
  const claims = event.requestContext?.authorizer?.jwt?.claims;
  const sub = claims?.sub;
  if (typeof sub !== 'string' || !ACCOUNT_ID.test(sub)) throw new BkvError('invalid-token', 'token has no usable subject');
  if (claims?.exp === undefined || !Number.isFinite(Number(claims.exp))) throw new BkvError('invalid-token', 'token has no expiry');
  return sub;
}

function header(event: ApiEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const [type, ...params] = value.split(';').map((s) => s.trim().toLowerCase());
  if (type !== 'application/json') return false;
  return params.every((p) => p === '' || p === 'charset=utf-8');
}

export function parseBody<S extends z.ZodType>(event: ApiEvent, schema: S): z.infer<S> {
  if (!isJsonContentType(header(event, 'content-type'))) {
    throw new BkvError('unsupported-media-type', 'content-type must be application/json');
  }
  const raw = event.body ?? '';
  if (raw.length > (event.isBase64Encoded ? Math.ceil((MAX_BODY_BYTES * 4) / 3) + 4 : MAX_BODY_BYTES * 4)) {
    throw new BkvError('payload-too-large', `body is over ${MAX_BODY_BYTES} bytes`);
  }
  const bytes = Buffer.from(raw, event.isBase64Encoded ? 'base64' : 'utf8');
  if (bytes.length > MAX_BODY_BYTES) throw new BkvError('payload-too-large', `body is over ${MAX_BODY_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new BkvError('bad-request', 'body is not valid json');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
    throw new BkvError('bad-request', `${where}: ${issue?.message.toLowerCase() ?? 'invalid'}`);
  }
  return parsed.data;
}

export function queryFlag(event: ApiEvent, name: string): boolean {
  const value = event.queryStringParameters?.[name];
  if (value === undefined) return false;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new BkvError('bad-request', `${name} must be true or false`);
}
