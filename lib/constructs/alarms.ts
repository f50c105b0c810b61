// A serving region's alarms: server errors on the API, a spike in "locked" answers (423), which means many
// vaults are being guessed at or destroyed at once, and a spike in registration starts (uncounted by the guess
// limit: a flood means someone probes the registration route or replaces vaults), and a spike in deletions
// (DeletionSpike: requests that deleted repository objects; a compromised device or a stolen key deleting
// backups: the runbook is docs/deploy.md "Deleted objects"). The metrics come from the
// handlers' Powertools Metrics (functions/observability.ts: namespace "bkv", dimension service=bkv). With bkv:alarmEmail set, alarms notify an
// SNS topic (TLS-only publishing) with that e-mail subscribed; otherwise they show in the console only.

import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { BkvConfig } from '../config.js';
import type { VaultApi } from './vault-api.js';

export const METRICS_NAMESPACE = 'bkv';
export const SERVER_ERROR_THRESHOLD = 5;
export const LOCKED_SPIKE_THRESHOLD = 20;
export const REGISTRATION_SPIKE_THRESHOLD = 100;
/** Delete requests (each up to 1000 objects, or a whole repository) in 5 minutes: a big prune is ~100. */
export const DELETION_SPIKE_THRESHOLD = 500;
const PERIOD = Duration.minutes(5);

/** An alarm on `metric` reaching `threshold` in one 5-minute period (no data is no alarm). */
export function fiveMinuteAlarm(scope: Construct, id: string, metric: cloudwatch.IMetric, threshold: number, description: string): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    alarmDescription: description,
    metric,
    threshold,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}

/** A handler metric (functions/observability.ts: namespace "bkv", dimension service=bkv), summed per 5 minutes. */
export function businessMetric(metricName: string): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: 'bkv' }, statistic: 'Sum', period: PERIOD });
}

/** With bkv:alarmEmail set: an SNS topic (TLS-only publishing) with that e-mail subscribed, notified by `alarms`. */
export function notifyByEmail(scope: Construct, config: BkvConfig, displayName: string, alarms: readonly cloudwatch.Alarm[]): sns.Topic | undefined {
  if (!config.alarmEmail) return undefined;
  const topic = new sns.Topic(scope, 'Topic', { enforceSSL: true, displayName });
  topic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
  for (const alarm of alarms) alarm.addAlarmAction(new SnsAction(topic));
  return topic;
}

export class Alarms extends Construct {
  readonly serverErrors: cloudwatch.Alarm;
  readonly lockedSpike: cloudwatch.Alarm;
  readonly registrationSpike: cloudwatch.Alarm;
  readonly deletionSpike: cloudwatch.Alarm;
  readonly topic?: sns.Topic;

  constructor(scope: Construct, id: string, props: { config: BkvConfig; api: VaultApi }) {
    super(scope, id);
    this.serverErrors = fiveMinuteAlarm(this, 'ServerErrors', props.api.metricServerErrors(), SERVER_ERROR_THRESHOLD,
      `${props.config.name}: API answered ${SERVER_ERROR_THRESHOLD}+ server errors (5xx) in 5 minutes`);
    const spike = (id: string, metricName: string, threshold: number, what: string) =>
      fiveMinuteAlarm(this, id, businessMetric(metricName), threshold, `${props.config.name}: ${threshold}+ ${what} in 5 minutes`);
    this.lockedSpike = spike('LockedSpike', 'Locked', LOCKED_SPIKE_THRESHOLD, 'locked (423) answers: vaults being guessed at or destroyed');
    this.registrationSpike = spike('RegistrationSpike', 'RegistrationStarts', REGISTRATION_SPIKE_THRESHOLD,
      'registration starts: the registration route probed, or vaults replaced');
    this.deletionSpike = spike('DeletionSpike', 'RepoDeletions', DELETION_SPIKE_THRESHOLD,
      'requests deleted repository objects: mass deletion; undo within the retention (docs/deploy.md "Deleted objects")');
    this.topic = notifyByEmail(this, props.config, `${props.config.name} alarms`,
      [this.serverErrors, this.lockedSpike, this.registrationSpike, this.deletionSpike]);
  }
}
