export const probesSourceSchema = {
  type: 'object',
  default: {},
  additionalProperties: false,
  description: 'Link-health probes (icmp, tcp, dns, http) over IPv6 and IPv4, each on its own schedule.',
  properties: {
    resolver: { type: 'string', default: '', description: 'DNS server "host:port" for all probes; empty: the system resolver.' },
    targets: {
      type: 'array',
      default: [],
      description: 'Probes to run.',
      example: [{ name: 'county-gw', type: 'icmp', target: 'gw.county.gov.cn', ip: 'both' }],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'type', 'target'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', patternDescription: 'a short name (letters, digits, . _ -)' },
          type: { enum: ['icmp', 'tcp', 'dns', 'http'] },
          target: { type: 'string', minLength: 1, maxLength: 2048 },
          ip: { enum: [4, 6, 'both'], default: 'both' },
          intervalSeconds: { type: 'integer', minimum: 5, maximum: 86400, default: 60 },
          timeoutSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 60, default: 5 },
          count: { type: 'integer', minimum: 1, maximum: 1000, default: 5 },
          packetIntervalSeconds: { type: 'number', minimum: 0.2, maximum: 10, default: 0.5 },
          insecureTls: { type: 'boolean', default: false },
        },
      },
    },
  },
} as const;

export interface ProbeTargetConfig {
  name: string;
  type: 'icmp' | 'tcp' | 'dns' | 'http';
  target: string;
  ip: 4 | 6 | 'both';
  intervalSeconds: number;
  timeoutSeconds: number;
  count: number;
  packetIntervalSeconds: number;
  insecureTls: boolean;
}

export interface ProbesSourceConfig {
  resolver: string;
  targets: ProbeTargetConfig[];
}
