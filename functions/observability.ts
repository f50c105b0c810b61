// Powertools Logger for the Lambda handlers: one structured line per request with route, status, problem code
// and latency. Never a body, header, token or key: the observer only sees an Outcome.

import { Logger } from '@aws-lambda-powertools/logger';
import type { Observer } from './http/route.js';
import { errorName } from './adapters/aws-errors.js';

export const logger = new Logger({ serviceName: 'bkv' });

export const logOutcome: Observer = (o) => {
  const fields = { route: o.route, status: o.status, code: o.code, ms: Math.round(o.ms) };
  if (o.status >= 500) logger.error('request failed', { ...fields, errorName: errorName(o.error) });
  else logger.info('request', fields);
};
