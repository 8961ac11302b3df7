const v3 = {
  type: 'object',
  additionalProperties: false,
  required: ['user', 'level'],
  properties: {
    user: { type: 'string', minLength: 1 },
    level: { enum: ['noAuthNoPriv', 'authNoPriv', 'authPriv'] },
    authProto: { enum: ['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'], default: 'sha' },
    authKey: { type: 'string', secret: true, default: '' },
    privProto: { enum: ['des', 'aes', 'aes256b', 'aes256r'], default: 'aes' },
    privKey: { type: 'string', secret: true, default: '' },
  },
} as const;

export const snmpSourceSchema = {
  type: 'object',
  default: {},
  additionalProperties: false,
  description: 'SNMP polling of network devices (v1/v2c/v3, IPv4 and IPv6), profiles from rules/snmp/profiles.',
  properties: {
    concurrency: { type: 'integer', minimum: 1, maximum: 1024, default: 32, description: 'Devices polled at once across all targets (more: shorter cycles on slow links, higher peak memory).' },
    walkConcurrency: { type: 'integer', minimum: 1, maximum: 16, default: 4, description: 'Table walks in flight per device.' },
    profilesDir: { type: 'string', default: '', description: 'Extra profiles folder (YAML); a profile with a built-in name replaces it.' },
    intervalSeconds: { type: 'integer', minimum: 10, maximum: 3600, default: 60, description: 'Default seconds between polls of a device.' },
    timeoutSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 60, default: 5, description: 'Default timeout of one request.' },
    retries: { type: 'integer', minimum: 0, maximum: 10, default: 1, description: 'Default retries of a request.' },
    maxRepetitions: { type: 'integer', minimum: 1, maximum: 200, default: 25, description: 'Default GETBULK max-repetitions.' },
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
        properties: { version: { enum: ['1', '2c', '3'] }, community: { type: 'string', secret: true }, v3 },
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
          labels: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
    },
  },
} as const;

export interface SnmpCredentialConfig {
  version: '1' | '2c' | '3';
  community?: string;
  v3?: { user: string; level: 'noAuthNoPriv' | 'authNoPriv' | 'authPriv'; authProto: 'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512'; authKey: string; privProto: 'des' | 'aes' | 'aes256b' | 'aes256r'; privKey: string };
}

export interface SnmpTargetConfig {
  name: string;
  address: string;
  credential: string;
  profiles?: string[];
  intervalSeconds?: number;
  timeoutSeconds?: number;
  retries?: number;
  maxRepetitions?: number;
  labels?: Record<string, string>;
}

export interface SnmpSourceConfig {
  concurrency: number;
  walkConcurrency: number;
  profilesDir: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  retries: number;
  maxRepetitions: number;
  postureIntervalHours: number;
  credentials: Record<string, SnmpCredentialConfig>;
  targets: SnmpTargetConfig[];
}
