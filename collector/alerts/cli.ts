import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatDuration, parseDuration } from '../notify/duration.js';
import { formatTime } from '../notify/format.js';
import type { AlertView } from './types.js';

/**
 * `xunjian alerts list|claim|unclaim|ack|silence|silences|unsilence`: the disposal API from a shell,
 * with an API token (viewer lists; operator claims, acknowledges, silences). The token comes from
 * --token-file or XUNJIAN_API_TOKEN, never from the command line (it would show in ps).
 */
interface Globals {
  collector: string;
  tokenFile?: string;
  json?: boolean;
}

export class ApiError extends Error {}

async function call(g: Globals, method: string, path: string, body?: unknown): Promise<unknown> {
  let token = process.env.XUNJIAN_API_TOKEN;
  if (g.tokenFile) {
    try {
      token = readFileSync(g.tokenFile, 'utf8').trim();
    } catch (err) {
      throw new ApiError(`cannot read --token-file ${g.tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  if (!token) throw new ApiError('an API token is needed: --token-file FILE or XUNJIAN_API_TOKEN (xunjian collector api-token create NAME --role operator)');
  const base = g.collector.replace(/\/+$/, '');
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new ApiError(`cannot reach the collector at ${base}: ${(err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message}`);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const e = parsed as { error?: string; message?: string } | undefined;
    throw new ApiError(`${res.status} ${e?.error ?? ''}: ${e?.message ?? text.slice(0, 200)}`.replace(/ :/, ':'));
  }
  return parsed;
}

const pad = (s: string, n: number) => (s.length >= n ? `${s} ` : s.padEnd(n + 1));

export function where(l: Record<string, string>): string {
  return ['node', 'site', 'zone', 'device', 'interface']
    .map((k) => l[k])
    .filter(Boolean)
    .join('/');
}

export function renderAlerts(alerts: AlertView[], now: number, tz: string): string {
  if (!alerts.length) return 'no alerts\n';
  const rows = alerts.map((a) => [
    a.fingerprint,
    a.status,
    a.labels.severity ?? '-',
    a.labels.alertname ?? '-',
    where(a.labels) || '-',
    `${formatTime(a.startsAt, tz)} (${formatDuration((a.status === 'resolved' ? a.endsAt : now) - a.startsAt)})`,
    a.claim ? a.claim.by : '-',
    a.ack ? a.ack.by : '-',
    a.silencedBy.length ? `silenced:${a.silencedBy.length}` : '-',
  ]);
  const head = ['FINGERPRINT', 'STATE', 'SEVERITY', 'ALERT', 'WHERE', 'SINCE', 'CLAIMED', 'ACKED', 'SILENCED'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return `${[head, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : pad(c, w[i]!))).join('')).join('\n')}\n`;
}

interface SilenceOut {
  id: string;
  matchers: string[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
  state: string;
  alertmanagers: Record<string, { id?: string; error?: string }>;
}

export function renderSilences(s: SilenceOut[], tz: string): string {
  if (!s.length) return 'no silences\n';
  return `${s
    .map((x) => {
      const am = Object.entries(x.alertmanagers)
        .map(([u, v]) => `  alertmanager ${u}: ${v.id ? v.id : `not synced (${v.error})`}`)
        .join('\n');
      return `${x.id}  ${x.state}  ${x.matchers.join(', ')}\n  ${formatTime(x.startsAt, tz)} → ${formatTime(x.endsAt, tz)}  by ${x.createdBy}: ${x.comment}${am ? `\n${am}` : ''}`;
    })
    .join('\n')}\n`;
}

export function registerAlertsCommand(program: Command): void {
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const cmd = program
    .command('alerts')
    .description('list alerts, claim (认领) and acknowledge them, silence them, through the collector API')
    .option('--collector <url>', 'collector base URL', process.env.XUNJIAN_COLLECTOR_URL ?? 'http://127.0.0.1:9700')
    .option('--token-file <file>', 'file holding the API token (else XUNJIAN_API_TOKEN)')
    .option('--json', 'print the API answer as JSON');
  const out = (g: Globals, v: unknown, text: () => string) => process.stdout.write(g.json ? `${JSON.stringify(v, null, 2)}\n` : text());
  const g = (c: Command) => c.optsWithGlobals() as Globals;

  cmd
    .command('list')
    .description('alerts with their state, owner and silences (role viewer)')
    .option('--state <state>', 'firing, resolved or all', 'all')
    .option('--filter <matchers>', 'label matchers, e.g. \'severity="critical",zone=~"county-.*"\'')
    .action(async (o: { state: string; filter?: string }, c: Command) => {
      const q = new URLSearchParams({ state: o.state, ...(o.filter ? { filter: o.filter } : {}) });
      const r = (await call(g(c), 'GET', `/api/v1/alerts/active?${q}`)) as { alerts: AlertView[] };
      out(g(c), r, () => renderAlerts(r.alerts, Date.now(), tz));
    });
  for (const [name, path, desc] of [
    ['claim', 'claim', 'claim (认领) an alert: it shows you as its owner and stops repeating (role operator)'],
    ['ack', 'ack', 'acknowledge an alert (role operator)'],
  ] as const) {
    cmd
      .command(`${name} <fingerprint>`)
      .description(desc)
      .option('-m, --comment <text>', 'comment')
      .action(async (fp: string, o: { comment?: string }, c: Command) => {
        const r = (await call(g(c), 'POST', `/api/v1/alerts/${encodeURIComponent(fp)}/${path}`, { comment: o.comment ?? '' })) as { alert: AlertView };
        out(
          g(c),
          r,
          () => `${name === 'claim' ? 'claimed' : 'acknowledged'} ${r.alert.fingerprint} (${r.alert.labels.alertname ?? ''} ${where(r.alert.labels)})\n`,
        );
      });
  }
  cmd
    .command('unclaim <fingerprint>')
    .description('release your claim (--force: someone else’s) (role operator)')
    .option('--force', 'release a claim held by someone else')
    .action(async (fp: string, o: { force?: boolean }, c: Command) => {
      const r = (await call(g(c), 'DELETE', `/api/v1/alerts/${encodeURIComponent(fp)}/claim${o.force ? '?force=true' : ''}`)) as { alert: AlertView };
      out(g(c), r, () => `released ${r.alert.fingerprint}\n`);
    });
  cmd
    .command('silence <matchers...>')
    .description('silence alerts matching all the matchers, e.g. node="town-01" alertname=~"Link.*" (role operator)')
    .option('--for <duration>', 'how long, e.g. 2h', '2h')
    .requiredOption('-m, --comment <text>', 'why (required)')
    .action(async (matchers: string[], o: { for: string; comment: string }, c: Command) => {
      if (!Number.isFinite(parseDuration(o.for))) c.error(`error: --for: expected a duration such as 30m, 2h, 1d, got '${o.for}'`);
      const r = (await call(g(c), 'POST', '/api/v1/silences', { matchers, duration: o.for, comment: o.comment })) as { silence: SilenceOut };
      out(g(c), r, () => `silence ${r.silence.id} until ${formatTime(r.silence.endsAt, tz)}\n${renderSilences([r.silence], tz)}`);
    });
  cmd
    .command('silences')
    .description('list silences (role viewer)')
    .option('--state <state>', 'active, pending, expired or all', 'all')
    .action(async (o: { state: string }, c: Command) => {
      const r = (await call(g(c), 'GET', `/api/v1/silences?state=${encodeURIComponent(o.state)}`)) as { silences: SilenceOut[] };
      out(g(c), r, () => renderSilences(r.silences, tz));
    });
  cmd
    .command('unsilence <id>')
    .description('expire a silence now (role operator)')
    .action(async (id: string, _o: unknown, c: Command) => {
      const r = (await call(g(c), 'DELETE', `/api/v1/silences/${encodeURIComponent(id)}`)) as { silence: SilenceOut };
      out(g(c), r, () => `silence ${r.silence.id} expired\n`);
    });
}
