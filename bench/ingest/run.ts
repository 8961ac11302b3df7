/**
 * bench:ingest — sustained samples/s through POST /api/v1/reports: a real `xunjian collector` process
 * (fan-out on: series store and every hosted component) and NODES concurrent agents sending signed,
 * gzipped, SNMP-sized reports (one switch's ifXTable: ~3,300 samples each). Prints samples/s, the
 * collector's CPU per 100k samples and its peak RSS; the goal on the 2-core VM is ≥ 100k samples/s.
 *   npm run bench:ingest [-- NODES REPORTS_PER_NODE SAMPLES_PER_REPORT]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { freePort } from '../../test/helpers/net.js';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Pool } from 'undici';
import { encodeReport } from '../../agent/delivery/push.js';
import { sign, tokenDigest } from '../../contract/sign.js';
import type { Report, Sample } from '../../contract/types.js';
import { procCpuSeconds } from '../proc.js';

const nodes = Number(process.argv[2] ?? 40);
const perNode = Number(process.argv[3] ?? 15);
const samplesPer = Number(process.argv[4] ?? 3300);
const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin/xunjian.js');

const dir = mkdtempSync(join(tmpdir(), 'xj-bench-ingest-'));
const port = await freePort();
const cfg = join(dir, 'collector.yaml');
writeFileSync(cfg, `listen: 127.0.0.1:${port}\ndataDir: ${join(dir, 'data')}\nlog: { level: warn }\ningest: { rateLimit: { requestsPerSecond: 0 } }\n`);
const tokens = Array.from({ length: nodes }, (_, i) =>
  execFileSync(process.execPath, [BIN, 'collector', 'token', 'create', `node-${i}`, '-c', cfg], { stdio: ['ignore', 'pipe', 'ignore'] })
    .toString()
    .trim(),
);

/** One switch's poll: 48 ports × ~69 ifTable/ifXTable columns, snmp_exporter labels. */
function samples(ts: number, seq: number): Sample[] {
  const out: Sample[] = [];
  const cols = Math.ceil(samplesPer / 48);
  for (let p = 0; p < 48 && out.length < samplesPer; p++) {
    const labels = {
      ifIndex: String(p + 1),
      ifName: `GigabitEthernet0/0/${p + 1}`,
      ifAlias: `to-village-${p}`,
      ifDescr: `GigabitEthernet0/0/${p + 1}`,
      target: 'core-sw',
    };
    for (let c = 0; c < cols && out.length < samplesPer; c++)
      out.push({ name: `ifMetric${c}`, labels, value: seq * 1000 + p * 7 + c, type: c % 3 ? 'gauge' : 'counter', ts });
  }
  return out;
}

console.log(`building ${nodes * perNode} reports of ${samplesPer} samples…`);
const now = Date.now();
const bodies: Buffer[][] = [];
for (let n = 0; n < nodes; n++) {
  bodies.push([]);
  for (let k = 1; k <= perNode; k++) {
    const r: Report = {
      v: 1,
      node: { id: `node-${n}`, site: 'county', zone: 'extranet', grade: 3, labels: {} },
      agent: { version: 'bench', interval: 60 },
      stream: 'benchstream',
      seq: k,
      sentAt: now,
      samples: samples(now + k, k),
    };
    bodies[n]!.push(encodeReport(r));
  }
}

const proc = spawn(process.execPath, [...(process.env.XJ_COLLECTOR_NODE_ARGS?.split(' ') ?? []), BIN, 'collector', '-c', cfg], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
const pool = new Pool(`http://127.0.0.1:${port}`, { connections: nodes });
for (let i = 0; ; i++) {
  try {
    await (await pool.request({ path: '/healthz', method: 'GET' })).body.dump();
    break;
  } catch (err) {
    if (i > 300) throw new Error(`collector did not start: ${(err as Error).message}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const stat = () => procCpuSeconds(proc.pid!);
const cpu0 = stat();
const t0 = performance.now();
let refused = 0;
await Promise.all(
  bodies.map(async (list, n) => {
    for (const body of list) {
      const ts = String(Date.now());
      const res = await pool.request({
        path: '/api/v1/reports',
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          authorization: `Bearer ${tokens[n]}`,
          'x-xunjian-node': `node-${n}`,
          'x-xunjian-timestamp': ts,
          'x-xunjian-signature': sign('hmac-sha256', tokenDigest(tokens[n]!), ts, body),
        },
      });
      const a = (await res.body.json()) as { status?: string };
      if (a.status !== 'accepted') refused++;
    }
  }),
);
const secs = (performance.now() - t0) / 1000;
const cpu = stat() - cpu0;
const hwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))![1]) / 1024;
proc.kill('SIGTERM');
await pool.close();
const total = nodes * perNode * samplesPer;
console.log(`reports: ${nodes * perNode} from ${nodes} concurrent nodes, ${samplesPer} samples each (${total} samples), refused: ${refused}`);
console.log(`wall ${secs.toFixed(2)} s → ${Math.round(total / secs).toLocaleString('en')} samples/s (goal ≥ 100,000)`);
console.log(`collector CPU ${cpu.toFixed(2)} s (${((cpu / total) * 1e5).toFixed(3)} s per 100k samples), peak RSS ${hwm.toFixed(0)} MiB`);
