import type { Schema } from '../../lib/config.js';
import { durationSchema } from '../notify/duration.js';

/** `alerts:` config section: alert state, escalation, silences. */
export interface EscalationStep {
  after: string;
  receiver: string;
  matchers: string[];
}

export interface AlertsConfig {
  keepResolved: string;
  maxSilence: string;
  escalation: EscalationStep[];
}

export const alertsSchema = {
  type: 'object',
  default: {},
  additionalProperties: false,
  description: 'Alert state: claim (认领), acknowledge, silences, escalation.',
  properties: {
    keepResolved: durationSchema('24h', 'Resolved alerts stay listed (with their claim and acknowledgement) this long.'),
    maxSilence: durationSchema('30d', 'Longest silence accepted.'),
    escalation: {
      type: 'array',
      default: [],
      description:
        'Escalation steps: a firing alert matching `matchers`, neither claimed nor acknowledged `after` its start, is sent to `receiver` (once per step and alert). E.g. [{after: 15m, receiver: duty-lead, matchers: [severity="critical"]}].',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['after', 'receiver'],
        properties: {
          after: durationSchema('15m', 'Time since the alert started.'),
          receiver: { type: 'string', description: 'A receiver of notify.receivers.' },
          matchers: { type: 'array', items: { type: 'string' }, default: ['severity="critical"'], description: 'Alertmanager matchers the alert must meet.' },
        },
      },
    },
  },
} as const satisfies Schema;
