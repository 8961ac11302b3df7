/** Alertmanager/Prometheus durations: `30s`, `5m`, `1h30m`, `2d`, `1w`, `500ms`. */
export const DURATION_PATTERN = '^([0-9]+(ms|s|m|h|d|w))+$';
const UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds of a duration; NaN when it does not parse. */
export function parseDuration(s: string): number {
  if (!new RegExp(DURATION_PATTERN).test(s)) return Number.NaN;
  let ms = 0;
  for (const m of s.matchAll(/([0-9]+)(ms|s|m|h|d|w)/g)) ms += Number(m[1]) * UNIT[m[2]!]!;
  return ms;
}

/** `90m` → `1h30m`; for messages. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  let rest = Math.round(ms / 1000);
  const out: string[] = [];
  for (const [u, n] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= n) {
      out.push(`${Math.floor(rest / n)}${u}`);
      rest %= n;
    }
  }
  return out.join('') || '0s';
}

export const durationSchema = (def: string, description: string) => ({
  type: 'string',
  default: def,
  pattern: DURATION_PATTERN,
  patternDescription: 'a duration such as 30s, 5m, 4h, 1d',
  description,
});
