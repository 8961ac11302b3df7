/**
 * Facts schemas of the network groups, version 1: `network.device.<target>` (an SNMP device's posture,
 * from agent/sources/snmp/device.ts) and `network.website_ipv6` (government websites' IPv6 support,
 * from agent/sources/ipv6check). A group may carry `schemaVersion` (absent means 1, as agents before
 * it sent); a newer version is stored uninterpreted. Unknown fields are allowed inside nested detail
 * (failure lists, firmware) so an agent adding detail never costs a report; the fields the collector
 * and the MLPS packs read are typed and required.
 */
export const NETWORK_SCHEMA_VERSION = 1 as const;

import { DEVICE_FACT_VALUES } from './device.js';

const str = { type: 'string' } as const;
const nbool = { type: ['boolean', 'null'] } as const;
const bool = { type: 'boolean' } as const;
const count = { type: 'integer', minimum: 0 } as const;

/** `network.device.<target>`, v1: the values of device.ts, every key required, nothing else. */
export const deviceFactsSchemaV1 = {
  type: 'object',
  required: Object.keys(DEVICE_FACT_VALUES),
  additionalProperties: false,
  properties: { schemaVersion: { const: 1 }, ...DEVICE_FACT_VALUES },
} as const;

const level = {
  type: 'object',
  required: ['level', 'found', 'checked', 'capable', 'rate', 'unchecked'],
  properties: {
    level: { enum: [2, 3] },
    found: count,
    checked: count,
    capable: count,
    rate: { type: ['number', 'null'], minimum: 0, maximum: 1 },
    unchecked: count,
    failures: { type: 'array', maxItems: 10_000 },
  },
} as const;

/** One site of `network.website_ipv6` (the group maps site → this), v1. */
export const websiteSiteSchemaV1 = {
  type: 'object',
  required: ['site', 'checkedAt', 'homepage', 'levels'],
  properties: {
    site: str,
    checkedAt: str,
    homepage: {
      type: 'object',
      required: ['aaaa', 'ipv6Reachable', 'ipv4Reachable'],
      properties: { aaaa: nbool, ipv6Reachable: bool, ipv4Reachable: bool, reason: str },
    },
    levels: { type: 'array', minItems: 2, maxItems: 2, items: level },
    pagesFetched: count,
    budgetExhausted: bool,
  },
} as const;

export const websiteFactsSchemaV1 = {
  type: 'object',
  maxProperties: 1000,
  properties: { schemaVersion: { const: 1 } },
  additionalProperties: { anyOf: [websiteSiteSchemaV1, { const: 1 }] },
} as const;
