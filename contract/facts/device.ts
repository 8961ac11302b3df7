/**
 * Facts schema of a network device's SNMP posture (group `network.device.<target>`, produced by
 * `devicePosture` in agent/sources/snmp/device.ts). The group is a plain object (no per-fact status or
 * evidence): the probe either ran or the group is absent. Communities never appear, only whether a
 * default one answers.
 */
export const DEVICE_GROUP_PREFIX = 'network.device.';

const str = { type: 'string' } as const;
const bool = { type: 'boolean' } as const;
const strs = { type: 'array', items: str } as const;
const nul = { type: 'null' } as const;
const or = (...s: object[]) => ({ anyOf: s });

/** Every key of the group with the schema of its value. */
export const DEVICE_FACT_VALUES = {
  addressResolved: bool,
  answersV1: bool,
  answersV2c: bool,
  /** `v1:public`, `v2c:private` … that answered: only default communities, never the configured one. */
  defaultCommunities: { type: 'array', maxItems: 4, items: { enum: ['v1:public', 'v1:private', 'v2c:public', 'v2c:private'] } },
  snmpVersionUsed: { enum: ['1', '2c', '3'] },
  v3: or(nul, {
    type: 'object',
    required: ['level', 'authProto', 'privProto'],
    additionalProperties: false,
    properties: { level: { enum: ['noAuthNoPriv', 'authNoPriv', 'authPriv'] }, authProto: or(nul, str), privProto: or(nul, str) },
  }),
  insecure: strs,
  sysDescr: or(nul, str),
  sysObjectID: or(nul, str),
  firmware: or(nul, {
    type: 'object',
    required: ['vendor', 'os', 'version'],
    additionalProperties: false,
    properties: { vendor: str, os: str, version: str, platform: str },
  }),
  lastPollOk: or(nul, bool),
  profiles: strs,
} as const;

export type DeviceFactKey = keyof typeof DEVICE_FACT_VALUES;

// The group's JSON Schema (with its version) is in network.ts, next to network.website_ipv6.
