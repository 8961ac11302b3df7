/** Config section `spool` (agent/config.ts includes it). */

export const DEFAULT_SPOOL: SpoolConfig = { maxBytes: 268_435_456, maxAgeHours: 168 };

export const spoolSchema = {
  type: 'object',
  default: {},
  additionalProperties: false,
  description: 'The disk spool (dataDir/spool): every report is written there before it is sent and deleted once acknowledged.',
  properties: {
    maxBytes: {
      type: 'integer',
      minimum: 1024,
      default: 268_435_456,
      description: 'Largest spool size; beyond it the oldest reports are dropped (counted in xunjian_agent_spool_dropped_reports_total).',
    },
    maxAgeHours: { type: 'number', exclusiveMinimum: 0, default: 168, description: 'Reports older than this are dropped (and counted) rather than sent.' },
  },
} as const;

export interface SpoolConfig {
  maxBytes: number;
  maxAgeHours: number;
}
