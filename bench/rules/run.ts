/**
 * bench:rules — one evaluation cycle of 50 rules over NODES × 300 series, and the rule window's memory
 * per million samples. `npm run bench:rules [-- NODES MINUTES]` (defaults 1000 nodes, 10 minutes of
 * samples at 1/min). The goal of the issue is 10 000 nodes under 1 s per cycle; on the shared 2-core
 * machine run it at 1000–2000 nodes (a minute at most) and scale: the cycle is linear in series.
 * Not done yet: the same rules in the Prometheus here on the same data (the ratio).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../lib/log.js';
import { DEFAULT_RULES_CONFIG, RulesManager } from '../../collector/rules/manager.js';

const nodes = Number(process.argv[2] ?? 1000);
const minutes = Number(process.argv[3] ?? 10);
const M = 60_000;

// 10 metric families × 30 series (interfaces) per node = 300 series per node
const families = Array.from({ length: 10 }, (_v, i) => (i % 2 === 0 ? `bench_m${i}_total` : `bench_m${i}`));
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
  rules.push(`      - alert: Bench${i}`, `        expr: ${JSON.stringify(expr)}`, '        for: 5m');
}
const dir = mkdtempSync(join(tmpdir(), 'xj-bench-rules-'));
const file = join(dir, 'bench.yaml');
writeFileSync(file, `${rules.join('\n')}\n`);

let now = Date.UTC(2026, 0, 1);
const m = new RulesManager(
  { ...DEFAULT_RULES_CONFIG, builtin: false, files: [file], window: { maxSeries: 10_000_000, keepAll: false } },
  { log: createLogger({ level: 'error' }), now: () => now, notify: () => {}, appendOwn: () => {} },
);
m.load();

const labelSets = [] as Record<string, string>[];
for (let n = 0; n < nodes; n++)
  for (const f of families)
    for (let k = 0; k < 30; k++) labelSets.push(Object.freeze({ __name__: f, node: `node-${n}`, site: `site-${n % 50}`, zone: 'extranet', if: `if${k}` }));

const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const heap0 = process.memoryUsage().heapUsed;
const t0 = performance.now();
for (let min = 0; min < minutes; min++) {
  const ts = now + min * M;
  const batch = labelSets.map((labels, i) => ({ labels, value: (i % 1000) * (min + 1) * 1000, ts }));
  m.ingest(batch);
}
const ingestMs = performance.now() - t0;
now += minutes * M;
gc?.();
const heap1 = process.memoryUsage().heapUsed;
const st = m.window.stats();
const group = m.allGroups()[0]!;
const times: number[] = [];
for (let i = 0; i < 3; i++) {
  const c0 = process.cpuUsage();
  m.evalGroup(group, now + i * 1000);
  const c = process.cpuUsage(c0);
  times.push((c.user + c.system) / 1000);
}
const perM = (x: number) => (x / st.samples) * 1e6;
console.log(
  JSON.stringify(
    {
      nodes,
      series: labelSets.length,
      rules: group.rules.length,
      windowSamples: st.samples,
      ingestMsPerMillionSamples: Math.round(perM(ingestMs)),
      cycleCpuMs: times.map((t) => Math.round(t)),
      windowBytesEstimatePerMillionSamples: Math.round(perM(st.bytes)),
      heapBytesPerMillionSamples: gc ? Math.round(perM(heap1 - heap0)) : 'run with --expose-gc',
    },
    null,
    2,
  ),
);
