export const postureSourceSchema = {
  type: 'object',
  default: {},
  additionalProperties: false,
  description: 'Host security-posture facts for MLPS 2.0 (read-only, no network).',
  properties: {
    enabled: { type: 'boolean', default: true, description: 'Collect posture facts.' },
    intervalSeconds: { type: 'integer', minimum: 300, maximum: 86400, default: 3600, description: 'Seconds between collections.' },
    commandTimeoutSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 120, default: 20, description: 'A command (sshd -T, apt-get -s, nft …) still running after this is killed and its fact is unknown.' },
  },
} as const;

export interface PostureSourceConfig {
  enabled: boolean;
  intervalSeconds: number;
  commandTimeoutSeconds: number;
}
