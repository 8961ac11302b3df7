import type { FromSchema, WithOptional } from '../../../lib/schema-type.js';

export const postureSourceSchema = {
  type: 'object',
  default: {},
  additionalProperties: false,
  description: 'Host security-posture facts for MLPS 2.0 (read-only, no network).',
  properties: {
    enabled: { type: 'boolean', default: true, description: 'Collect posture facts.' },
    intervalSeconds: { type: 'integer', minimum: 300, maximum: 86400, default: 3600, description: 'Seconds between collections.' },
    schedule: {
      type: 'string',
      default: '',
      description:
        "A cron expression replacing intervalSeconds (minute hour day-of-month month day-of-week, or seconds first), e.g. '0 3 * * *': nightly at 03:00 (local time). Runs at least 60 s apart. The source also runs once at start. Empty: every intervalSeconds.",
      example: '0 3 * * *',
    },
    commandTimeoutSeconds: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 120,
      default: 20,
      description: 'A command (sshd -T, apt-get -s, nft …) still running after this is killed and its fact is unknown.',
    },
  },
} as const;

/** Code-built configs may leave out `schedule` (none). */
export type PostureSourceConfig = WithOptional<FromSchema<typeof postureSourceSchema>, 'schedule'>;
