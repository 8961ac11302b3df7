/**
 * Facts schema for host security posture (group `host.posture`), version 1. See README.md here for
 * every fact id, its value and the MLPS 2.0 clause it serves.
 */
export const POSTURE_SCHEMA_VERSION = 1 as const;

export interface Evidence {
  /** A file path (as on the host) or a command line. */
  source: string;
  /** 1-based line number in the file, when the evidence is a line. */
  line?: number;
  /** The relevant text, at most a few lines. */
  excerpt: string;
}

/** `ok`: the value was read; `unknown`: it could not be (see `reason`) — never a guess. */
export interface Fact<T = unknown> {
  status: 'ok' | 'unknown';
  value: T | null;
  evidence: Evidence[];
  reason?: string;
}

export interface PostureFacts {
  schemaVersion: typeof POSTURE_SCHEMA_VERSION;
  collectedAt: string;
  /** The root the files were read under ("/" for the live host). */
  root: string;
  /** Whether live-system commands and /proc of the running host were used. */
  live: boolean;
  facts: Record<string, Fact>;
}

const evidence = {
  type: 'object',
  required: ['source', 'excerpt'],
  additionalProperties: false,
  properties: { source: { type: 'string' }, line: { type: 'integer', minimum: 1 }, excerpt: { type: 'string', maxLength: 4096 } },
} as const;

export const postureSchemaV1 = {
  $id: 'https://xunjian.invalid/contract/facts/host-posture-v1.json',
  type: 'object',
  required: ['schemaVersion', 'collectedAt', 'root', 'live', 'facts'],
  additionalProperties: false,
  properties: {
    schemaVersion: { const: POSTURE_SCHEMA_VERSION },
    collectedAt: { type: 'string' },
    root: { type: 'string' },
    live: { type: 'boolean' },
    facts: {
      type: 'object',
      propertyNames: { pattern: '^[a-z][a-zA-Z0-9]*(\\.[a-z][a-zA-Z0-9]*)+$' },
      additionalProperties: {
        type: 'object',
        required: ['status', 'value', 'evidence'],
        additionalProperties: false,
        properties: {
          status: { enum: ['ok', 'unknown'] },
          value: {},
          evidence: { type: 'array', items: evidence },
          reason: { type: 'string' },
        },
        if: { properties: { status: { const: 'unknown' } } },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema if/then keyword
        then: { required: ['reason'], properties: { value: { const: null }, reason: { type: 'string', minLength: 1 } } },
      },
    },
  },
} as const;
