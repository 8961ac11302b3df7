/**
 * bench:rules — one evaluation cycle of 50 rules over NODES × 300 series, the rule window's memory per
 * million samples, and the same 50 expressions in the Prometheus 2.42 here on the same data (the ratio).
 * `npm run bench:rules [-- NODES MINUTES]` (defaults 1000 nodes, 10 minutes of samples at 1/min).
 * Env: CYCLES (evaluations measured, default 3), PROM=0 (skip Prometheus), PROM_BIN.
 *
 * Samples are near now (the last MINUTES minutes) so Prometheus's head takes them; both engines get
 * the same values at the same timestamps. Xunjian's cycle is `RulesManager.evalGroup` (the 50 rules,
 * alert state included), its CPU time from process.cpuUsage; Prometheus's is the 50 expressions as
 * instant queries at the same time, its CPU time from /proc/PID/stat (10 ms ticks) around them, and
 * its own evaluation timings (`stats=all`). Xunjian and Prometheus alternate, CYCLES rounds. The first
 * cycle builds the cached selections, their caches and the window's layout; then a node joins (300 new
 * series, every family changes) and one cycle more is measured, and the one after it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RULES_CONFIG, RulesManager } from '../../collector/rules/manager.js';
import { parseExpr } from '../../collector/rules/engine.js';
import { evalInstant } from '../../collector/rules/promql/index.js';
import type { GenSeries } from '../../collector/rules/promql/testing/gen.js';
import { type PromPeer, remoteWrite, startPrometheus } from '../../collector/rules/promql/testing/prometheus.js';
import { createLogger } from '../../lib/log.js';
import { procCpuSeconds } from '../proc.js';

const nodes = Number(process.argv[2] ?? 1000);
const minutes = Number(process.argv[3] ?? 10);
const cycles = Number(process.env.CYCLES ?? 3);
const withProm = process.env.PROM !== '0';
const M = 60_000;

// 10 metric families × 30 series (interfaces) per node = 300 series per node
const families = Array.from({ length: 10 }, (_v, i) => (i % 2 === 0 ? `bench_m${i}_total` : `bench_m${i}`));
const exprs: string[] = [];
const rules: string[] = ['groups:', '  - name: bench', '    interval: 1m', '    rules:'];
for (let i = 0; i < 50; i++) {
  const f = families[i % families.length]!;
  const counter = f.endsWith('_total');
  const kind = Math.floor(i / 10);
  let expr: string;
  if (kind === 0) expr = counter ? `rate(${f}[5m]) > 1e9` : `${f} > 1e9`;
  else if (kind === 1) expr = counter ? `sum by (node) (rate(${f}[5m])) > 1e12` : `max by (node) (${f}) > 1e12`;
  else if (kind === 2) expr = counter ? `increase(${f}[10m]) > 1e12` : `avg_over_time(${f}[5m]) > 1e12`;
  else if (kind === 3) expr = `${f}{if="if${i % 30}"} > 1e12`;
  else expr = counter ? `rate(${f}[5m]) / on(node, if) ${families[(i + 1) % 10]} > 1e9` : `${f} > 0 and on(node, if) ${families[(i + 2) % 10]} > 1e12`;
  exprs.push(expr);
  rules.push(`      - alert: Bench${i}`, `        expr: ${JSON.stringify(expr)}`, '        for: 5m');
}
const dir = mkdtempSync(join(tmpdir(), 'xj-bench-rules-'));
const file = join(dir, 'bench.yaml');
writeFileSync(file, `${rules.join('\n')}\n`);

// samples: the last MINUTES minutes, aligned to the minute; evaluation just after the newest
const t0 = Math.floor(Date.now() / M) * M - minutes * M;
const evalAt = t0 + (minutes - 1) * M + 30_000;
const value = (i: number, min: number) => (i % 1000) * (min + 1) * 1000;

let now = t0;
const m = new RulesManager(
  { ...DEFAULT_RULES_CONFIG, builtin: false, files: [file], window: { maxSeries: 10_000_000, keepAll: false } },
  { log: createLogger({ level: 'error' }), now: () => now, notify: () => {}, appendOwn: () => {} },
);
m.load();

/** The label set of series i (plain objects, as the fan-out hands them over: not frozen, no cached key). */
function labelsOf(i: number): Record<string, string> {
  const k = i % 30;
  const f = Math.floor(i / 30) % 10;
  const n = Math.floor(i / 300);
  return { __name__: families[f]!, node: `node-${n}`, site: `site-${n % 50}`, zone: 'extranet', if: `if${k}` };
}
const nSeries = nodes * 300;

const gc = (globalThis as { gc?: () => void }).gc;
const mem = () => {
  // twice: array buffers of released slabs are freed by the first collection's sweep
  gc?.();
  gc?.();
  const u = process.memoryUsage();
  return u.heapUsed + u.arrayBuffers;
};
const mem0 = mem();
let ingestCpu = 0;
const BATCH = 30_000;
for (let min = 0; min < minutes; min++) {
  const ts = t0 + min * M;
  for (let b = 0; b < nSeries; b += BATCH) {
    const batch = [];
    for (let i = b; i < Math.min(nSeries, b + BATCH); i++) batch.push({ labels: labelsOf(i), value: value(i, min), ts });
    const c0 = process.cpuUsage();
    m.ingest(batch);
    const c = process.cpuUsage(c0);
    ingestCpu += (c.user + c.system) / 1000;
  }
}
now = evalAt;
m.window.trim(now);
const mem1 = mem();
const st = m.window.stats();
const group = m.allGroups()[0]!;
const perM = (x: number) => (x / st.samples) * 1e6;

// ---- Prometheus on the same data (the differential test's peer: started on loopback, fed by remote write)
const procCpu = procCpuSeconds;

function procRss(pid: number): number {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0) * 1024;
}

async function feedProm(p: PromPeer): Promise<number> {
  const w0 = performance.now();
  const PER = 2000;
  const t = Array.from({ length: minutes }, (_v, min) => t0 + min * M);
  for (let b = 0; b < nSeries; b += PER) {
    const batch: GenSeries[] = [];
    for (let i = b; i < Math.min(nSeries, b + PER); i++) batch.push({ labels: labelsOf(i), t, v: Float64Array.from(t, (_x, min) => value(i, min)) });
    await remoteWrite(p.url, batch);
  }
  return performance.now() - w0;
}

interface PromRound {
  cpuMs: number;
  wallMs: number;
  evalMs: number;
  results: number[];
}

async function promRound(p: PromPeer): Promise<PromRound> {
  const c0 = procCpu(p.pid);
  const w0 = performance.now();
  let evalMs = 0;
  const results: number[] = [];
  for (const e of exprs) {
    const r = await fetch(`${p.url}/api/v1/query?query=${encodeURIComponent(e)}&time=${(evalAt / 1000).toFixed(3)}&stats=all`);
    const j = (await r.json()) as { status: string; error?: string; data: { result: unknown[]; stats?: { timings?: { evalTotalTime?: number } } } };
    if (j.status !== 'success') throw new Error(`prometheus: ${e}: ${j.error}`);
    results.push(j.data.result.length);
    evalMs += (j.data.stats?.timings?.evalTotalTime ?? 0) * 1000;
  }
  const wallMs = performance.now() - w0;
  return { cpuMs: (procCpu(p.pid) - c0) * 1000, wallMs, evalMs, results };
}

function xjRound(i: number): { cpuMs: number; wallMs: number } {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  m.evalGroup(group, evalAt + i);
  const c = process.cpuUsage(c0);
  return { cpuMs: (c.user + c.system) / 1000, wallMs: performance.now() - w0 };
}

const prom = withProm ? await startPrometheus(process.env.PROM_BIN) : undefined;
let feedMs = 0;
if (prom) feedMs = await feedProm(prom);

const xj: { cpuMs: number; wallMs: number }[] = [];
const pr: PromRound[] = [];
for (let i = 0; i < cycles; i++) {
  xj.push(xjRound(i));
  if (prom) pr.push(await promRound(prom));
}
// churn: a node joins (its 300 series, one sample each at the last minute), then one more cycle; every
// family changed, so every selection and its caches are rebuilt (Prometheus is not asked again)
const joined = [];
for (let i = nSeries; i < nSeries + 300; i++) joined.push({ labels: labelsOf(i), value: value(i, minutes - 1), ts: t0 + (minutes - 1) * M });
m.ingest(joined);
const churn = xjRound(cycles);
const steady = xjRound(cycles + 1);
// what the evaluator keeps between cycles: position caches, result bases, scratch columns
const evalKept = mem() - mem1;
// same answers: the number of result series of each expression, ours vs Prometheus's
let equal: string | undefined;
if (prom) {
  const ours = exprs.map((e) => {
    const r = evalInstant(parseExpr(e), evalAt, m.window, { lookbackMs: 300_000 });
    return r.type === 'vector' ? r.samples.length : -1;
  });
  const theirs = pr[0]!.results;
  equal = `${ours.filter((n, i) => n === theirs[i]).length}/${exprs.length} (result series: ours ${ours.reduce((a, b) => a + b, 0)}, prometheus ${theirs.reduce((a, b) => a + b, 0)})`;
}
const promRss = prom ? procRss(prom.pid) : 0;
if (prom) await prom.stop();
rmSync(dir, { recursive: true, force: true });

const round = (x: number) => Math.round(x);
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
console.log(
  JSON.stringify(
    {
      nodes,
      series: nSeries,
      rules: group.rules.length,
      windowSeries: st.series,
      windowSamples: st.samples,
      ingestCpuMsPerMillionSamples: round((ingestCpu / (nSeries * minutes)) * 1e6),
      cycleCpuMs: xj.map((x) => round(x.cpuMs)),
      cycleWallMs: xj.map((x) => round(x.wallMs)),
      afterNodeJoinedCpuMs: round(churn.cpuMs),
      nextCycleCpuMs: round(steady.cpuMs),
      evaluatorBytesPerSeries: gc ? round(evalKept / st.series) : undefined,
      windowBytesPerMillionSamples: gc ? round(perM(mem1 - mem0)) : 'run with --expose-gc',
      windowBytesPerSeries: gc ? round((mem1 - mem0) / st.series) : undefined,
      windowBytesEstimatePerMillionSamples: round(perM(st.bytes)),
      ...(prom
        ? {
            prometheus: {
              remoteWriteWallMs: round(feedMs),
              queriesCpuMs: pr.map((p) => round(p.cpuMs)),
              queriesWallMs: pr.map((p) => round(p.wallMs)),
              evalTotalTimeMs: pr.map((p) => round(p.evalMs)),
              rssBytes: promRss,
            },
            sameResultCounts: equal,
            ratioCpu: (med(xj.map((x) => x.cpuMs)) / med(pr.map((p) => p.cpuMs))).toFixed(3),
            ratioWallVsPromEval: (med(xj.map((x) => x.wallMs)) / med(pr.map((p) => p.evalMs))).toFixed(3),
          }
        : {}),
    },
    null,
    2,
  ),
);
