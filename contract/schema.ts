import { makeAjv, type ErrorObject } from '../lib/ajv.js';
import { deviceFactsSchemaV1, NETWORK_SCHEMA_VERSION, websiteFactsSchemaV1 } from './facts/network.js';
import { POSTURE_SCHEMA_VERSION, postureSchemaV1 } from './facts/posture.js';
import { CONTRACT_VERSION, type Report, ZONES } from './types.js';

export const METRIC_NAME = '^[a-zA-Z_:][a-zA-Z0-9_:]*$';
export const LABEL_NAME = '^[a-zA-Z_][a-zA-Z0-9_]*$';
export const NODE_ID = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';
/** A report stream id: 8–64 URL-safe characters (the agent makes 16 random bytes in base64url). */
export const STREAM_ID = '^[A-Za-z0-9_-]{8,64}$';

/**
 * Upper bounds that keep one report from exhausting the collector. The agent never builds a report
 * beyond them (it splits); a collector accepts at least them (its ingest.maxBodyBytes and
 * ingest.maxDecompressedBytes defaults are these byte limits).
 */
export const LIMITS = {
  samples: 200_000,
  labelsPerSample: 64,
  labelValueLength: 2048,
  labelNameLength: 128,
  metricNameLength: 256,
  helpLength: 1024,
  /** A report's JSON, uncompressed, in bytes. */
  reportBytes: 67_108_864,
  /** A report's body as sent (gzip), in bytes. */
  bodyBytes: 8_388_608,
} as const;

const labels = {
  type: 'object',
  maxProperties: LIMITS.labelsPerSample,
  propertyNames: { pattern: LABEL_NAME, maxLength: LIMITS.labelNameLength },
  additionalProperties: { type: 'string', maxLength: LIMITS.labelValueLength },
} as const;

/** JSON Schema of a v1 report (draft-07). */
export const reportSchemaV1 = {
  $id: 'https://xunjian.invalid/contract/report-v1.json',
  type: 'object',
  required: ['v', 'node', 'agent', 'seq', 'sentAt', 'samples'],
  additionalProperties: false,
  properties: {
    v: { const: CONTRACT_VERSION },
    node: {
      type: 'object',
      required: ['id', 'site', 'zone', 'grade', 'labels'],
      additionalProperties: false,
      properties: {
        id: { type: 'string', pattern: NODE_ID },
        site: { type: 'string', maxLength: 256 },
        zone: { enum: [...ZONES] },
        grade: { enum: [2, 3] },
        labels,
      },
    },
    agent: {
      type: 'object',
      required: ['version', 'interval'],
      additionalProperties: false,
      properties: {
        version: { type: 'string', maxLength: 64 },
        interval: { type: 'number', exclusiveMinimum: 0, maximum: 86_400 },
      },
    },
    seq: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
    stream: { type: 'string', pattern: STREAM_ID },
    sentAt: { type: 'integer', minimum: 0 },
    samples: {
      type: 'array',
      maxItems: LIMITS.samples,
      items: {
        type: 'object',
        required: ['name', 'labels', 'value', 'type', 'ts'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', pattern: METRIC_NAME, maxLength: LIMITS.metricNameLength },
          labels,
          value: { type: 'number' },
          type: { enum: ['counter', 'gauge', 'info', 'untyped'] },
          ts: { type: 'integer', minimum: 0 },
        },
      },
    },
    intervals: {
      type: 'object',
      propertyNames: { pattern: METRIC_NAME },
      additionalProperties: { type: 'number', exclusiveMinimum: 0, maximum: 31_622_400 },
    },
    help: {
      type: 'object',
      propertyNames: { pattern: METRIC_NAME },
      additionalProperties: { type: 'string', maxLength: LIMITS.helpLength },
    },
    facts: { type: 'object', maxProperties: 4096 },
    factsMeta: {
      type: 'object',
      maxProperties: 4096,
      additionalProperties: {
        type: 'object',
        required: ['collectedAt', 'source', 'status'],
        additionalProperties: false,
        properties: { collectedAt: { type: 'integer', minimum: 0 }, source: { type: 'string', maxLength: 128 }, status: { enum: ['ok', 'stale'] } },
      },
    },
  },
} as const;

// Compiled on first use: each generated validator costs tens of MB of RSS, which a process that only
// imports LIMITS or the patterns (the agent) should not pay.
const once = <T>(make: () => T): (() => T) => {
  let v: T | undefined;
  return () => (v ??= make());
};
const reportValidatorOnce = once(() => makeAjv().compile<Report>(reportSchemaV1));
const postureValidatorOnce = once(() => makeAjv().compile(postureSchemaV1));
const deviceValidatorOnce = once(() => makeAjv().compile(deviceFactsSchemaV1));
const websiteValidatorOnce = once(() => makeAjv().compile(websiteFactsSchemaV1));

export type ReportCheck = { ok: true; report: Report } | { ok: false; error: string; message: string };

function describe(e: ErrorObject, prefix = ''): string {
  const at = prefix + e.instancePath || '(report)';
  if (e.keyword === 'additionalProperties') {
    return `${at}: unknown field '${(e.params as { additionalProperty: string }).additionalProperty}'`;
  }
  return `${at}: ${e.message ?? 'invalid'}`;
}

/**
 * Validate a parsed report body. The version is checked first so that a report from a newer
 * agent is named as such rather than as a pile of schema errors.
 */
export function checkReport(body: unknown): ReportCheck {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, error: 'invalid_report', message: 'report must be a JSON object' };
  }
  const v = (body as { v?: unknown }).v;
  if (typeof v === 'number' && Number.isInteger(v) && v > CONTRACT_VERSION) {
    return {
      ok: false,
      error: 'unsupported_contract_version',
      message: `report uses contract v${v}; this collector speaks v${CONTRACT_VERSION}: upgrade the collector`,
    };
  }
  if (v !== CONTRACT_VERSION) {
    return { ok: false, error: 'invalid_report', message: `/v: must be ${CONTRACT_VERSION}` };
  }
  const validateV1 = reportValidatorOnce();
  if (!validateV1(body)) {
    const errors = (validateV1.errors ?? []).slice(0, 5).map((e) => describe(e));
    return { ok: false, error: 'invalid_report', message: errors.join('; ') };
  }
  return checkFacts(body);
}

/**
 * Fact groups whose schema this collector knows are validated (`host.posture`, `network.device.<target>`,
 * `network.website_ipv6`); a newer `schemaVersion` (from a newer agent) is stored as it came and left
 * uninterpreted. Other groups (`host.inventory`, …) are free-form.
 */
function checkFacts(report: Report): ReportCheck {
  for (const [group, value] of Object.entries(report.facts ?? {})) {
    const known =
      group === 'host.posture'
        ? { v: POSTURE_SCHEMA_VERSION, validate: postureValidatorOnce() }
        : group.startsWith('network.device.')
          ? { v: NETWORK_SCHEMA_VERSION, validate: deviceValidatorOnce() }
          : group === 'network.website_ipv6'
            ? { v: NETWORK_SCHEMA_VERSION, validate: websiteValidatorOnce() }
            : undefined;
    if (!known) continue;
    const sv = (value as { schemaVersion?: unknown } | null)?.schemaVersion;
    if (typeof sv === 'number' && Number.isInteger(sv) && sv > known.v) continue;
    if (known.validate(value)) continue;
    const errors = (known.validate.errors ?? []).slice(0, 5).map((e) => describe(e, `/facts/${group}`));
    return { ok: false, error: 'invalid_report', message: errors.join('; ') };
  }
  return { ok: true, report };
}
