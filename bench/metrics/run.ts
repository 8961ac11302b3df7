/**
 * bench:metrics — rendering the fleet /metrics: Xunjian's series store (cached lines) vs prom-client (the peer
 * most Node exporters use) holding the same series. Prints the time per scrape of each and the ratio.
 *   npm run bench:metrics [-- NODES SERIES_PER_NODE]
 */
import { Gauge, Registry } from 'prom-client';
import { SeriesStore, seriesSamples } from '../../collector/series/series.js';
import type { Report, Sample } from '../../contract/types.js';

const nodes = Number(process.argv[2] ?? 500);
const perNode = Number(process.argv[3] ?? 200);
const rounds = 5;

const now = Date.now();
const fleet = new SeriesStore({ staleAfterIntervals: 3 });
const registry = new Registry();
const gauge = new Gauge({ name: 'ifHCInOctets', help: 'in octets', labelNames: ['ifIndex', 'ifName', 'node', 'site', 'zone'], registers: [registry] });

for (let n = 0; n < nodes; n++) {
  const samples: Sample[] = [];
  for (let i = 0; i < perNode; i++) {
    const value = n * 1_000_003 + i * 7919;
    samples.push({ name: 'ifHCInOctets', labels: { ifIndex: String(i), ifName: `GE0/0/${i}` }, value, type: 'gauge', ts: now });
    gauge.set({ ifIndex: String(i), ifName: `GE0/0/${i}`, node: `node-${n}`, site: 'county', zone: 'extranet' }, value);
  }
  const r: Report = {
    v: 1,
    node: { id: `node-${n}`, site: 'county', zone: 'extranet', grade: 3, labels: {} },
    agent: { version: 'b', interval: 60 },
    seq: 1,
    sentAt: now,
    samples,
  };
  fleet.append(seriesSamples(r, fleet.intern).samples, r.node.id, now, undefined, 60);
}

async function time(fn: () => Promise<string> | string): Promise<{ ms: number; bytes: number }> {
  let best = Number.POSITIVE_INFINITY;
  let bytes = 0;
  for (let i = 0; i < rounds; i++) {
    const t0 = process.cpuUsage();
    const out = await fn();
    const d = process.cpuUsage(t0);
    best = Math.min(best, (d.user + d.system) / 1000);
    bytes = out.length;
  }
  return { ms: best, bytes };
}

const ours = await time(() => fleet.render(now));
const peer = await time(() => registry.metrics());
const series = nodes * perNode;
console.log(`series: ${series} (${nodes} nodes × ${perNode})`);
console.log(`xunjian series render  CPU ${ours.ms.toFixed(1)} ms per scrape (${(ours.bytes / 1e6).toFixed(1)} MB)`);
console.log(`prom-client metrics()  CPU ${peer.ms.toFixed(1)} ms per scrape (${(peer.bytes / 1e6).toFixed(1)} MB)`);
console.log(`ratio (xunjian ÷ prom-client CPU per scrape): ${(ours.ms / peer.ms).toFixed(3)}`);
