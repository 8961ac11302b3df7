import { readFileSync } from 'node:fs';
import type { FromSchema, WithOptional } from '../../../lib/schema-type.js';
import type { ValidateContext } from '../../source.js';

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
          caFile: {
            type: 'string',
            default: '',
            description: 'http: PEM file of the CA(s) to verify the server with instead of the system store; empty: system store.',
          },
          maxBodyBytes: {
            type: 'integer',
            minimum: 0,
            maximum: 1073741824,
            default: 5242880,
            description: 'http: body bytes read at most (the rest is not downloaded).',
          },
          maxRedirects: {
            type: 'integer',
            minimum: 0,
            maximum: 50,
            default: 10,
            description: 'http: redirects followed at most (0: none, a 3xx is then the final response).',
          },
        },
      },
    },
  },
} as const;

type Loaded = FromSchema<typeof probesSourceSchema>;
/** Code-built targets may leave out the http options added later (the probe falls back to their defaults). */
export type ProbeTargetConfig = WithOptional<Loaded['targets'][number], 'caFile' | 'maxBodyBytes' | 'maxRedirects'>;
export type ProbesSourceConfig = Omit<Loaded, 'targets'> & { targets: ProbeTargetConfig[] };

/**
 * A round must end well before the next one starts: count × packetIntervalSeconds + timeoutSeconds
 * (icmp) or timeoutSeconds (others) must stay below 0.9 × intervalSeconds. The first offending target,
 * as the config key to blame and what is expected; null when all fit. Call at config load.
 */
export function probeScheduleProblem(cfg: ProbesSourceConfig, prefix = 'sources.probes.'): { key: string; expected: string } | null {
  for (const [i, t] of cfg.targets.entries()) {
    const round = t.type === 'icmp' ? t.count * t.packetIntervalSeconds + t.timeoutSeconds : t.timeoutSeconds;
    const limit = 0.9 * t.intervalSeconds;
    if (round < limit) continue;
    const what =
      t.type === 'icmp'
        ? `count × packetIntervalSeconds + timeoutSeconds (${t.count} × ${t.packetIntervalSeconds} + ${t.timeoutSeconds} = ${+round.toFixed(3)} s)`
        : `timeoutSeconds (${t.timeoutSeconds} s)`;
    return { key: `${prefix}targets.${i}`, expected: `${what} below 0.9 × intervalSeconds (${+limit.toFixed(3)} s) of probe '${t.name}'` };
  }
  return null;
}

/** The checks of `sources.probes` beyond its schema: each target's interval, its caFile, its round fitting its interval. */
export function validateProbes(cfg: ProbesSourceConfig, ctx: ValidateContext): void {
  cfg.targets.forEach((t, i) => {
    ctx.interval(`targets.${i}.intervalSeconds`, t.intervalSeconds);
    if (!t.caFile) return;
    try {
      readFileSync(t.caFile);
    } catch (err) {
      ctx.fail(`targets.${i}.caFile`, `a readable PEM file; cannot read ${t.caFile}: ${(err as NodeJS.ErrnoException).code}`);
    }
  });
  const p = probeScheduleProblem(cfg, '');
  if (p) ctx.fail(p.key, p.expected);
}
