// A realm's alarms (lib/stacks/realm-stack.ts), beside the primary's (alarms.ts): server errors on its API, Lambda
// throttles across its functions (counted starts refused for capacity look like an outage to clients), and a spike
// in "locked" answers (423: accounts at this realm out of attempts or destroyed, i.e. guessing at scale). The Locked
// metric comes from the handlers' Powertools Metrics (functions/observability.ts). With bkv:alarmEmail set, alarms
// notify an SNS topic (TLS-only publishing) with that e-mail subscribed.

import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { BkvConfig } from '../config.js';
import { LOCKED_SPIKE_THRESHOLD, SERVER_ERROR_THRESHOLD, businessMetric, fiveMinuteAlarm, notifyByEmail } from './alarms.js';
import type { VaultApi } from './vault-api.js';

/** Throttled invocations of the realm's functions in 5 minutes. */
export const THROTTLE_THRESHOLD = 5;
const PERIOD = Duration.minutes(5);

export class RealmAlarms extends Construct {
  readonly serverErrors: cloudwatch.Alarm;
  readonly throttles: cloudwatch.Alarm;
  readonly lockedSpike: cloudwatch.Alarm;
  readonly topic?: sns.Topic;

  constructor(scope: Construct, id: string, props: { config: BkvConfig; api: VaultApi }) {
    super(scope, id);
    const name = props.config.name;
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, threshold: number, what: string) =>
      fiveMinuteAlarm(this, alarmId, metric, threshold, `${name} realm: ${threshold}+ ${what} in 5 minutes`);
    this.serverErrors = alarm('ServerErrors', props.api.metricServerErrors(), SERVER_ERROR_THRESHOLD, 'server errors (5xx)');
    const fns = [...props.api.functions.values()];
    const usingMetrics = Object.fromEntries(fns.map((f, i) => [`t${i}`, f.function.metricThrottles({ period: PERIOD, statistic: 'Sum' })]));
    this.throttles = alarm('Throttles', new cloudwatch.MathExpression({
      expression: fns.map((_, i) => `FILL(t${i}, 0)`).join(' + '), usingMetrics, period: PERIOD, label: 'realm function throttles',
    }), THROTTLE_THRESHOLD, 'throttled invocations of the realm functions');
    this.lockedSpike = alarm('LockedSpike', businessMetric('Locked'), LOCKED_SPIKE_THRESHOLD, 'locked (423) answers: accounts out of attempts at this realm (guessing at scale)');
    this.topic = notifyByEmail(this, props.config, `${name} realm alarms`, [this.serverErrors, this.throttles, this.lockedSpike]);
  }
}
