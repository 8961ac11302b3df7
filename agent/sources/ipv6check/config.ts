import type { FromSchema, WithOptional } from '../../../lib/schema-type.js';

export const ipv6checkSourceSchema = {
  type: 'object',
  default: {},
  additionalProperties: false,
  description: 'Government-website IPv6 support rate (二级/三级链接IPv6支持率), on a schedule.',
  properties: {
    sites: {
      type: 'array',
      items: { type: 'string', pattern: '^https?://', patternDescription: 'an http:// or https:// URL' },
      default: [],
      description: 'Homepages to check.',
      example: ['https://www.example.gov.cn/'],
    },
    intervalSeconds: { type: 'integer', minimum: 3600, default: 86400, description: 'Seconds between checks (whole hours dividing 24 h).' },
    schedule: {
      type: 'string',
      default: '',
      description:
        "A cron expression replacing intervalSeconds (minute hour day-of-month month day-of-week, or seconds first), e.g. '0 2 * * 0': weekly, Sunday 02:00 (local time). Runs at least 60 s apart. The check also runs once at start. Empty: every intervalSeconds.",
      example: '0 2 * * 0',
    },
    maxLinksPerLevel: { type: 'integer', minimum: 0, default: 100, description: 'Links checked per level at most.' },
    maxPages: { type: 'integer', minimum: 2, default: 500, description: 'Fetches per site and check at most (each link is fetched over IPv6 and IPv4).' },
    concurrency: { type: 'integer', minimum: 1, maximum: 32, default: 4, description: 'Requests in flight per site.' },
    requestsPerSecond: { type: 'number', exclusiveMinimum: 0, maximum: 100, default: 5, description: 'Request starts per second per site.' },
    timeoutSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 120, default: 10, description: 'Timeout of one fetch.' },
    lengthTolerance: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      default: 0.2,
      description: 'IPv6 and IPv4 bodies may differ in length by this share of the larger.',
    },
    maxRedirects: { type: 'integer', minimum: 0, maximum: 20, default: 5, description: 'Redirects followed per fetch (each one counts against maxPages).' },
    maxBodyBytes: { type: 'integer', minimum: 1024, maximum: 104857600, default: 5242880, description: 'Body bytes read per fetch at most.' },
    sameSiteHosts: {
      type: 'array',
      default: [],
      items: { type: 'string', pattern: '^(\\*\\.)?[A-Za-z0-9.-]+$', patternDescription: 'a host name, or *.host for all its subdomains' },
      description: "Hosts that count as the site besides the homepage's own (modulo www.); '*.host' for all its subdomains.",
      example: ['*.example.gov.cn'],
    },
  },
} as const;

/** Code-built configs may leave out the options added later (the check falls back to their defaults). */
export type Ipv6checkSourceConfig = WithOptional<FromSchema<typeof ipv6checkSourceSchema>, 'schedule' | 'maxRedirects' | 'maxBodyBytes' | 'sameSiteHosts'>;
