import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { listeningUrl, type Running, start, waitFor, xunjian } from '../test/helpers/proc.js';
import { startDnsServer } from '../test/helpers/dns-server.js';
import { COMMUNITY, type Peer, startSnmpd } from '../test/helpers/snmp-peers.js';
import { startPrometheus, type Tsdb } from '../test/helpers/tsdb.js';
import { queriesOf } from './src/common.js';
import { DASHBOARDS } from './src/dashboards.js';
import { expandForPromtool } from './src/promql.js';

/**
 * Every dashboard query run against a real Prometheus 2.42 holding data from a real run: the
 * collector and two agents as processes (one refused report with a wrong token, too) (host source, dual-stack ICMP probes of a name that resolves
 * to ::1 and 127.0.0.1, SNMP polls of snmpd over udp6, whose interface counters move); one agent
 * stops, so its node is down.
 * The collector remote-writes the fleet samples to Prometheus (original timestamps); Prometheus scrapes
 * only the collector's own families from /metrics with an API token, with the keep-list of
 * deploy/prometheus/prometheus.yml — the deployment's data path.
 *
 * Each query must return data, except the ones listed in NO_PRODUCER (nothing in this run produces
 * their metrics: the test asserts they are empty, so the list shrinks when a producer appears)
 * and HEALTHY_EMPTY (problem lists that are empty while nothing is wrong).
 */
const NO_PRODUCER: [RegExp, string][] = [
  // the agents here collect no posture: MLPS evaluates only the collector itself, which is no node
  [/avg by \(zone\) \(xunjian_mlps_score_ratio/, 'node posture (the agents here run without the posture source)'],
  [/ALERTS/, 'no alert fires during this run'],
  [/xunjian_notifications_total/, 'notify/'],
  [/xunjian_collector_series_limit_refused_total/, 'no series limit is set in this run'],
  [/xunjian_website_ipv6_/, 'an ipv6check site (needs a government site with AAAA)'],
];
const HEALTHY_EMPTY: [RegExp, string][] = [
  [/xunjian_link_oper_status_changes_total.*> 0/, 'no flaps in a static recording'],
  [/xunjian_agent_source_up\{[^}]*\} == 0/, 'no failing source'],
  [/unless on \(node\) \(max by \(node\) \(probe_success/, 'both nodes probe ::1 successfully'],
];

const dir = mkdtempSync(join(tmpdir(), 'xj-dash-data-'));
const running: Running[] = [];
let sim: Peer | undefined;
let prom: Tsdb | undefined;
let dns: Awaited<ReturnType<typeof startDnsServer>> | undefined;

function agentConfig(node: string, base: string, snmpPort: number, resolver: string): string {
  const f = join(dir, `${node}.yaml`);
  writeFileSync(
    f,
    [
      'node:',
      `  id: ${node}`,
      '  site: 测试县',
      '  zone: gov-cloud',
      '  grade: 3',
      'collector:',
      `  url: ${base}`,
      `  tokenFile: ${join(dir, `${node}.token`)}`,
      'report:',
      '  intervalSeconds: 1',
      `dataDir: ${join(dir, `${node}-data`)}`,
      'sources:',
      '  host: { intervalSeconds: 5 }',
      '  posture: { enabled: false }',
      '  probes:',
      `    resolver: "${resolver}"`,
      '    targets:',
      '      - { name: lo, type: icmp, target: dual.xunjian.test, ip: both, count: 3, packetIntervalSeconds: 0.2, timeoutSeconds: 1, intervalSeconds: 5 }',
      '  snmp:',
      '    credentials:',
      `      lab: { version: "2c", community: ${COMMUNITY} }`,
      '    targets:',
      `      - { name: core-${node}, address: "udp6://[::1]:${snmpPort}", credential: lab, intervalSeconds: 10 }`,
      '',
    ].join('\n'),
  );
  return f;
}

beforeAll(async () => {
  sim = await startSnmpd();
  dns = await startDnsServer({ 'dual.xunjian.test': { a: ['127.0.0.1'], aaaa: ['::1'] } });
  prom = await startPrometheus(dir, { oooWindow: '2h' });
  const ccfg = join(dir, 'collector.yaml');
  writeFileSync(
    ccfg,
    `listen: 127.0.0.1:0\ndataDir: ${join(dir, 'collector-data')}\nremoteWrite:\n  - name: prom\n    url: ${prom.writeUrl}\n    queue: { batchSendDeadlineSeconds: 0.5 }\n`,
  );
  for (const node of ['town-01', 'town-02']) {
    const r = xunjian(['collector', 'token', 'create', node, '-c', ccfg]);
    if (r.code !== 0) throw new Error(r.stderr);
    writeFileSync(join(dir, `${node}.token`), `${r.stdout.trim()}\n`);
  }
  const tok = xunjian(['collector', 'api-token', 'create', 'prometheus', '--role', 'viewer', '--out', join(dir, 'scrape.token'), '-c', ccfg]);
  if (tok.code !== 0) throw new Error(tok.stderr);
  const collector = start(['collector', '-c', ccfg]);
  running.push(collector);
  const base = await listeningUrl(collector.output); // port 0: the collector picks a free port and logs it
  await waitFor(async () => (await fetch(`${base}/healthz`)).ok, 40_000, 'collector').catch((e: Error) => {
    throw new Error(`${e.message}\n${collector.output()}`);
  });
  // the deployment's scrape job (keep-list included), pointed at this collector
  const deploy = YAML.parse(readFileSync(new URL('../deploy/prometheus/prometheus.yml', import.meta.url), 'utf8'));
  const job = deploy.scrape_configs.find((j: { job_name: string }) => j.job_name === 'xunjian-collector');
  job.static_configs = [{ targets: [new URL(base).host] }];
  job.authorization.credentials_file = join(dir, 'scrape.token');
  job.scrape_interval = '2s';
  writeFileSync(join(dir, 'prometheus.yml'), YAML.stringify({ ...deploy, global: { scrape_interval: '2s' }, alerting: undefined, scrape_configs: [job] }));
  const reload = await fetch(new URL('/-/reload', prom.base), { method: 'POST' });
  if (!reload.ok) throw new Error(`prometheus reload: ${reload.status} ${await reload.text()}`);
  // one refused report: the rejects panel has a series
  const bad = await fetch(`${base}/api/v1/reports`, {
    method: 'POST',
    headers: { authorization: 'Bearer xj1_wrong', 'content-type': 'application/json' },
    body: '{}',
  });
  if (bad.status < 400) throw new Error(`a bad report got ${bad.status}`);
  const a1 = start(['agent', '-c', agentConfig('town-01', base, sim.port, dns.server)]);
  const a2 = start(['agent', '-c', agentConfig('town-02', base, sim.port, dns.server)]);
  running.push(a1, a2);
  const q = async (expr: string) => {
    const u = new URL('/api/v1/query', prom!.base);
    u.searchParams.set('query', expr);
    const j = (await (await fetch(u)).json()) as { data: { result: unknown[] } };
    return j.data.result.length;
  };
  // link rates need two polls; ICMP and dual-stack series one probe round each
  await waitFor(
    async () => (await q('xunjian_link_in_bits_per_second{node="town-02"}')) > 0 && (await q('xunjian_probe_dualstack_both_success{node="town-02"}')) > 0,
    60_000,
    'town-02 data',
  ).catch((e: Error) => {
    throw new Error(`${e.message}\n${a2.output()}\n${collector.output()}`);
  });
  // town-02 goes away: its node is down after 3 report intervals; Prometheus keeps its history
  await a2.stop('SIGTERM');
  await waitFor(async () => (await q('xunjian_node_up{node="town-02"} == 0')) > 0, 30_000, 'town-02 down');
  await waitFor(async () => (await q('xunjian_link_in_bits_per_second{node="town-01"}')) > 0, 60_000, 'town-01 link rates');
}, 180_000);

afterAll(async () => {
  for (const r of running) await r.stop('SIGKILL');
  await prom?.stop();
  await sim?.stop();
  await dns?.close();
});

const queries = DASHBOARDS.flatMap((d) => queriesOf(JSON.parse(JSON.stringify(d.build('en'))) as Dashboard).map((x) => ({ ...x, file: d.file })));
const classify = (expr: string) => NO_PRODUCER.find(([re]) => re.test(expr))?.[1] ?? (HEALTHY_EMPTY.find(([re]) => re.test(expr))?.[1] ? 'healthy' : 'data');

describe('dashboard queries against Prometheus fed by a real run', () => {
  it.each(queries.map((x) => [`${x.file}: ${x.where}`, x.expr] as const))('%s', async (_where, expr) => {
    const u = new URL('/api/v1/query', prom!.base);
    u.searchParams.set('query', expandForPromtool(expr, { range: '5m', rateInterval: '30s' }));
    const r = await fetch(u);
    const j = (await r.json()) as { status: string; error?: string; data: { resultType: string; result: { value?: [number, string] }[] } };
    expect(j.status, j.error).toBe('success');
    const kind = classify(expr);
    const n = j.data.result.length;
    if (kind === 'data') expect(n, `no data for ${expr}`).toBeGreaterThan(0);
    else if (kind === 'healthy') expect(n, `${expr} lists a problem in a healthy run`).toBe(0);
    else if (!/or vector\(0\)/.test(expr)) expect(n, `${expr} has data now (${kind} landed?): move it out of NO_PRODUCER`).toBe(0);
  });

  it('most queries have data on this branch', () => {
    const counts = { data: 0, healthy: 0, pending: 0 };
    for (const q of queries) {
      const k = classify(q.expr);
      if (k === 'data') counts.data++;
      else if (k === 'healthy') counts.healthy++;
      else counts.pending++;
    }
    expect(counts.data).toBeGreaterThan(counts.pending);
    console.log(`dashboard queries: ${counts.data} with data, ${counts.healthy} healthy-empty, ${counts.pending} awaiting their producer`);
  });
});
