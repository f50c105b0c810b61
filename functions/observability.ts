// Powertools Logger and Metrics for the Lambda handlers, behind the one observer every route reports to: a
// structured log line per request (route, status, problem code, latency) and the business metrics derived from the
// outcome. Never a body, header, token, key or account id: the observer only sees an Outcome.
// Metrics (CloudWatch EMF, namespace "bkv", dimension service=bkv; lib/constructs/alarms.ts alarms on them):
//   LoginStarts       a login start answered 2xx (an attempt was counted)
//   RegistrationStarts a registration start answered 2xx (a spike: someone probing, or re-registering vaults)
//   LoginFailures     a login finish refused for a wrong password
//   Locked            any 423 answer (no attempts left, or the key was destroyed)
//   RepoUploads       upload URLs handed out 2xx (bytes reserved against an account's quota)
//   QuotaExceeded     an upload refused for the account's quota
//   RepoDeletions     a request that deleted repository objects answered 2xx: `POST /v1/repo/delete` (up to 1000
//                     objects) or `DELETE /v1/vault` (with ?backups=true, a whole repository); a spike is the
//                     DeletionSpike alarm (a compromised device or a mass deletion: docs/deploy.md "Deleted objects")
//   RepoUndeletes     an undelete page answered 2xx

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Observer, Outcome } from './http/route.js';
import { errorName } from './adapters/aws-errors.js';

export const SERVICE_NAME = 'bkv';
export const METRICS_NAMESPACE = 'bkv';

export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

export type MetricName = 'LoginStarts' | 'RegistrationStarts' | 'LoginFailures' | 'Locked' | 'RepoUploads' | 'QuotaExceeded'
  | 'RepoDeletions' | 'RepoUndeletes';

const ok = (o: Outcome) => o.status >= 200 && o.status < 300;

/** The business metrics one request outcome counts toward (pure). */
export function metricsFor(o: Outcome): MetricName[] {
  const names: MetricName[] = [];
  if (o.route === 'vault.loginStart' && ok(o)) names.push('LoginStarts');
  if (o.route === 'vault.registrationStart' && ok(o)) names.push('RegistrationStarts');
  if (o.code === 'wrong-password') names.push('LoginFailures');
  if (o.status === 423) names.push('Locked');
  if (o.route === 'repo.uploads' && ok(o)) names.push('RepoUploads');
  if (o.code === 'quota-exceeded') names.push('QuotaExceeded');
  if ((o.route === 'repo.delete' || o.route === 'vault.delete') && ok(o)) names.push('RepoDeletions');
  if (o.route === 'repo.undelete' && ok(o)) names.push('RepoUndeletes');
  return names;
}

export const logOutcome: Observer = (o) => {
  const fields = { route: o.route, status: o.status, code: o.code, ms: Math.round(o.ms) };
  if (o.status >= 500) logger.error('request failed', { ...fields, errorName: errorName(o.error) });
  else logger.info('request', fields);
  const names = metricsFor(o);
  if (names.length === 0) return;
  try {
    for (const name of names) metrics.addMetric(name, MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
  } catch (e) {
    // A metrics failure must never change the answer the client gets.
    logger.warn('metrics not published', { errorName: errorName(e) });
  }
};
