import type { FromSchema } from '../../../lib/schema-type.js';
import type { ValidateContext } from '../../source.js';
import type { Credential } from './client.js';
import { parseEndpoint } from './endpoint.js';
import { createCipheriv } from 'node:crypto';

/** Node.js 20 links OpenSSL 3, whose default provider refuses DES: SNMPv3 DES privacy cannot work. */
export const DES_AVAILABLE = (() => {
  try {
    createCipheriv('des-cbc', Buffer.alloc(8), Buffer.alloc(8));
    return true;
  } catch {
    return false;
  }
})();

const PRIV_PROTOS = DES_AVAILABLE ? ['des', 'aes', 'aes256b', 'aes256r'] : ['aes', 'aes256b', 'aes256r'];

/** RFC 3414 (and net-snmp) need passphrases of at least 8 characters. */
const key = (what: string) => ({ type: 'string', secret: true, minLength: 8, description: `SNMPv3 ${what} passphrase (at least 8 characters).` }) as const;

const v3 = {
  type: 'object',
  additionalProperties: false,
  required: ['user', 'level'],
  properties: {
    user: { type: 'string', minLength: 1 },
    level: { enum: ['noAuthNoPriv', 'authNoPriv', 'authPriv'] },
    authProto: { enum: ['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'], default: 'sha' },
    authKey: key('authentication'),
    privProto: {
      type: 'string',
      default: 'aes',
      pattern: `^(${PRIV_PROTOS.join('|')})$`,
      patternDescription: DES_AVAILABLE
        ? 'des, aes, aes256b or aes256r'
        : "aes, aes256b or aes256r (DES is unavailable: this Node.js's OpenSSL 3 has no des-cbc)",
    },
    privKey: key('privacy'),
  },
  allOf: [
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema if/then keyword
    { if: { properties: { level: { const: 'authNoPriv' } } }, then: { required: ['authKey'], properties: { authKey: {} } } },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema if/then keyword
    { if: { properties: { level: { const: 'authPriv' } } }, then: { required: ['authKey', 'privKey'], properties: { authKey: {}, privKey: {} } } },
  ],
} as const;

/**
 * Label names a target's `labels` may not use: they would overwrite the labels of the series
 * (target, interface labels, and the index/lookup labels of the built-in profiles; a test keeps this
 * list complete).
 */
export const RESERVED_LABELS = [
  'target',
  'ifIndex',
  'ifName',
  'ifDescr',
  'ifAlias',
  'ipIfStatsIPVersion',
  'ipIfStatsIfIndex',
  'ipSystemStatsIPVersion',
  'ipAddressAddrType',
  'ipAddressAddr',
  'hrStorageIndex',
  'hrStorageDescr',
  'hrDeviceIndex',
  'entPhysicalIndex',
  'entPhysicalName',
  'cpmCPUTotalIndex',
  'ciscoMemoryPoolType',
  'ciscoMemoryPoolName',
  'ciscoEnvMonTemperatureStatusIndex',
  'ciscoEnvMonTemperatureStatusDescr',
  'ruijieMemoryPoolIndex',
  'ruijieMemoryPoolName',
] as const;

export const snmpSourceSchema = {
  type: 'object',
  default: {},
  additionalProperties: false,
  description: 'SNMP polling of network devices (v1/v2c/v3, IPv4 and IPv6), profiles from rules/snmp/profiles.',
  properties: {
    concurrency: {
      type: 'integer',
      minimum: 1,
      maximum: 1024,
      default: 32,
      description: 'Devices polled at once across all targets (more: shorter cycles on slow links, higher peak memory).',
    },
    walkConcurrency: {
      type: 'integer',
      minimum: 1,
      maximum: 16,
      default: 4,
      description: 'Requests in flight per device: separate table walks (SNMPv1/v3, v2c with walkOidsPerRequest 1) or combined GETBULK requests (v2c).',
    },
    walkOidsPerRequest: {
      type: 'integer',
      minimum: 1,
      maximum: 16,
      default: 4,
      description:
        'SNMPv2c: walks combined into one GETBULK request, at most this many OIDs each (halved when a device answers one with an error); 1: each walk its own requests.',
    },
    profilesDir: { type: 'string', default: '', description: 'Extra profiles folder (YAML); a profile with a built-in name replaces it.' },
    intervalSeconds: { type: 'integer', minimum: 10, maximum: 3600, default: 60, description: 'Default seconds between polls of a device.' },
    timeoutSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 60, default: 5, description: 'Default timeout of one request.' },
    retries: { type: 'integer', minimum: 0, maximum: 10, default: 1, description: 'Default retries of a request.' },
    maxRepetitions: { type: 'integer', minimum: 1, maximum: 200, default: 25, description: 'Default GETBULK max-repetitions.' },
    deadlineSeconds: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 3600,
      description: 'Default budget of one whole poll of a device (default 0.8 × its interval): a slow device then frees its slot.',
    },
    postureIntervalHours: { type: 'number', minimum: 0, default: 6, description: 'How often to probe devices for v1/v2c and default communities (0: never).' },
    credentials: {
      type: 'object',
      default: {},
      description: 'Named credentials targets refer to.',
      example: { 'core-v3': { version: '3', v3: { user: 'monitor', level: 'authPriv', authProto: 'sha256', authKey: '…', privProto: 'aes', privKey: '…' } } },
      propertyNames: { pattern: '^[A-Za-z0-9_-]+$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['version'],
        properties: { version: { enum: ['1', '2c', '3'] }, community: { type: 'string', secret: true, minLength: 1 }, v3 },
        allOf: [
          // biome-ignore lint/suspicious/noThenProperty: JSON Schema if/then keyword
          { if: { properties: { version: { const: '3' } } }, then: { required: ['v3'], properties: { v3: {} } } },
        ],
      },
    },
    targets: {
      type: 'array',
      default: [],
      description: 'Devices to poll.',
      example: [{ name: 'county-core', address: 'udp6://[2001:db8::1]:161', credential: 'core-v3' }],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'address', 'credential'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
          address: { type: 'string', minLength: 1 },
          credential: { type: 'string' },
          profiles: { type: 'array', items: { type: 'string' }, description: 'Profiles to use; empty: chosen by sysObjectID.' },
          intervalSeconds: { type: 'integer', minimum: 10, maximum: 3600 },
          timeoutSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 60 },
          retries: { type: 'integer', minimum: 0, maximum: 10 },
          maxRepetitions: { type: 'integer', minimum: 1, maximum: 200 },
          walkOidsPerRequest: { type: 'integer', minimum: 1, maximum: 16, description: 'OIDs per combined GETBULK request of this device (1: not combined).' },
          deadlineSeconds: {
            type: 'number',
            exclusiveMinimum: 0,
            maximum: 3600,
            description: 'Budget of one whole poll of the device (default 0.8 × its interval).',
          },
          labels: {
            type: 'object',
            additionalProperties: { type: 'string' },
            propertyNames: { pattern: `^(?!(?:${RESERVED_LABELS.join('|')})$)[A-Za-z_][A-Za-z0-9_]*$` },
            description: `Extra labels of every series of the target; not one of ${RESERVED_LABELS.join(', ')}.`,
          },
        },
      },
    },
  },
} as const;

export type SnmpSourceConfig = FromSchema<typeof snmpSourceSchema>;
export type SnmpCredentialConfig = SnmpSourceConfig['credentials'][string];
export type SnmpTargetConfig = SnmpSourceConfig['targets'][number];

/** The client's credential of a configured one (v1/v2c without a community: public). */
export function toCredential(c: SnmpCredentialConfig): Credential {
  // privProto is a pattern in the schema (its message names DES's absence), so a string in the config type
  return c.version === '3' ? { version: '3', v3: c.v3 as Credential['v3'] } : { version: c.version, community: c.community ?? 'public' };
}

/** A label name the node sets on every series, and the node option it comes from. */
function nodeLabelOrigin(label: string, nodeLabels: Record<string, string>): string | undefined {
  if (label === 'node') return 'node.id';
  if (label === 'site' || label === 'zone') return `node.${label}`;
  return label in nodeLabels ? `node.labels.${label}` : undefined;
}

/** The checks of `sources.snmp` beyond its schema: intervals, credential names, addresses, labels the collector sets itself. */
export function validateSnmp(cfg: SnmpSourceConfig, ctx: ValidateContext): void {
  cfg.targets.forEach((t, i) => {
    ctx.interval(`targets.${i}.intervalSeconds`, t.intervalSeconds ?? cfg.intervalSeconds);
    if (!cfg.credentials[t.credential]) {
      ctx.fail(
        `targets.${i}.credential`,
        `expected one of the names in sources.snmp.credentials (${Object.keys(cfg.credentials).join(', ') || 'none defined'}), got '${t.credential}'`,
      );
    }
    try {
      parseEndpoint(t.address);
    } catch (err) {
      ctx.fail(`targets.${i}.address`, (err as Error).message);
    }
    // The collector puts node, site, zone and node.labels on every series of the node; a sample label of
    // the same name would be kept as exported_<name> (Prometheus' honor_labels: false), not as written.
    for (const l of Object.keys(t.labels ?? {})) {
      const origin = nodeLabelOrigin(l, ctx.agent.node.labels);
      if (origin) {
        ctx.fail(
          `targets.${i}.labels.${l}`,
          `a label the collector does not set itself: '${l}' comes from the node (${origin}) on every series of this node, so the collector would rename this one exported_${l}; use another name (e.g. device_${l})`,
        );
      }
    }
  });
}
