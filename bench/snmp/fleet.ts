/**
 * bench:snmp-fleet — one agent polling 500 simulated devices every 60 s: one snmpd answers on 500
 * loopback addresses (127.0.1.1 …), the agent's SNMP sources poll them all under the global bound.
 * Prints cycle wall time, CPU seconds and share of one core over a 60 s interval, and RSS; and the
 * same cycle through prometheus-snmp-exporter (500 scrapes, same concurrency) for the CPU ratio.
 * RSS is taken after GC following the 2nd cycle (the first measured one, as in earlier rows) and
 * after each of CYCLES more (steady state), plus the process's peak RSS.
 * The process runs with the agent's V8 flags (bin/xunjian.js, applied by ./agent-flags.js).
 *   npm run bench:snmp-fleet [-- DEVICES CONCURRENCY CYCLES]
 */
// first: the agent launcher's V8 flags, before the measured modules load
import { AGENT_V8_FLAGS } from './agent-flags.js';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { type SnmpSourceConfig, snmpSourceSchema } from '../../agent/sources/snmp/config.js';
import { createSnmpSources } from '../../agent/sources/snmp/source.js';
import { mapLimit } from '../../agent/sources/snmp/poll.js';
import { createLogger } from '../../lib/log.js';
import { SampleBuffer } from '../../agent/runtime/report.js';
import { freePort } from '../../test/helpers/net.js';
import { waitFor } from '../../test/helpers/proc.js';
import { procCpuSeconds } from '../proc.js';

const devices = Number(process.argv[2] ?? 500);
const concurrency = Number(process.argv[3] ?? snmpSourceSchema.properties.concurrency.default);
const moreCycles = Number(process.argv[4] ?? 5);
const port = 16100 + Math.floor(Math.random() * 1000);
const addrs = Array.from({ length: devices }, (_, i) => `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`);

const dir = mkdtempSync(join(tmpdir(), 'xj-fleet-'));
mkdirSync(join(dir, 'persist'));
writeFileSync(join(dir, 'snmpd.conf'), 'rocommunity fleet 127.0.0.0/8\nsysName fleet-device\n');
const snmpd = spawn(
  'snmpd',
  ['-f', '-Lf', join(dir, 'log'), '-C', '-c', join(dir, 'snmpd.conf'), '-M', '/dev/null', addrs.map((a) => `udp:${a}:${port}`).join(',')],
  {
    env: { ...process.env, SNMP_PERSISTENT_DIR: join(dir, 'persist') },
    stdio: 'ignore',
  },
);
const procCpu = procCpuSeconds;
try {
  const cfg: SnmpSourceConfig = {
    concurrency,
    walkConcurrency: 4,
    walkOidsPerRequest: 4,
    profilesDir: '',
    intervalSeconds: 60,
    timeoutSeconds: 5,
    retries: 1,
    maxRepetitions: 25,
    postureIntervalHours: 0,
    credentials: { fleet: { version: '2c', community: 'fleet' } },
    targets: addrs.map((a, i) => ({ name: `dev${i}`, address: `udp://${a}:${port}`, credential: 'fleet', profiles: ['system', 'if_mib', 'host_resources'] })),
  };
  const sources = createSnmpSources(cfg);
  const ctx = { signal: new AbortController().signal, log: createLogger({ level: 'error' }), now: Date.now };
  await waitFor(async () => (await sources[0]!.collect(ctx)).samples.some((s) => s.name === 'xunjian_snmp_up' && s.value === 1), 15_000, 'snmpd');

  const cycle = async () => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    // as the agent's runner does: each source's samples go to the report buffer as soon as it is done
    const buffer = new SampleBuffer(500_000);
    let up = 0;
    await Promise.all(
      sources.map(async (s) => {
        const r = await s.collect(ctx);
        buffer.push(r.samples);
        if (r.samples.some((x) => x.name === 'xunjian_snmp_up' && x.value === 1)) up++;
      }),
    );
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    return { wall, cpu: (c.user + c.system) / 1e6, up, samples: buffer.drain().length };
  };
  (globalThis as { gc?: () => void }).gc?.();
  const rss0 = process.memoryUsage().rss / 2 ** 20;
  await cycle(); // warm-up (first poll of every device: no rate baseline yet)
  const a = await cycle();
  (globalThis as { gc?: () => void }).gc?.();
  const mem = process.memoryUsage();
  const rss = mem.rss / 2 ** 20;
  const heap = (mem.heapUsed + mem.external) / 2 ** 20;
  const steady: number[] = [];
  for (let i = 0; i < moreCycles; i++) {
    await cycle();
    (globalThis as { gc?: () => void }).gc?.();
    steady.push(process.memoryUsage().rss / 2 ** 20);
  }
  const peak = process.resourceUsage().maxRSS / 1024;

  // snmp_exporter doing the same cycle
  const template = readFileSync(fileURLToPath(new URL('../../../test/differential/snmp-exporter.yml', import.meta.url)), 'utf8');
  writeFileSync(join(dir, 'snmp.yml'), template.replace('COMMUNITY', 'fleet').replace(/^#.*\n/gm, ''));
  const ep = await freePort();
  const exp = spawn('prometheus-snmp-exporter', [`--config.file=${join(dir, 'snmp.yml')}`, `--web.listen-address=127.0.0.1:${ep}`, '--log.level=error'], {
    stdio: 'ignore',
  });
  await waitFor(async () => (await request(`http://127.0.0.1:${ep}/`)).statusCode === 200, 15_000, 'snmp_exporter');
  const scrapeAll = () =>
    mapLimit(addrs, concurrency, async (addr) => (await request(`http://127.0.0.1:${ep}/snmp?target=${addr}:${port}&module=if_mib`)).body.text());
  await scrapeAll();
  const e0 = procCpu(exp.pid!);
  const t0 = performance.now();
  await scrapeAll();
  const expWall = (performance.now() - t0) / 1000;
  const expCpu = procCpu(exp.pid!) - e0;
  exp.kill();

  console.log(
    `devices: ${devices} (one snmpd on ${devices} loopback addresses), concurrency ${concurrency}, interval 60 s; V8 flags of the agent: ${AGENT_V8_FLAGS}`,
  );
  console.log(
    `xunjian cycle: ${a.wall.toFixed(2)} s wall, ${a.cpu.toFixed(2)} CPU s (${((a.cpu / 60) * 100).toFixed(1)}% of one core over 60 s), RSS ${rss.toFixed(0)} MiB (${rss0.toFixed(0)} MiB before the first cycle; JS heap + external buffers ${heap.toFixed(0)} MiB), ${a.up}/${devices} up, ${a.samples} samples`,
  );
  if (steady.length)
    console.log(
      `xunjian RSS after GC in the ${steady.length} following cycles: ${steady.map((r) => r.toFixed(0)).join(', ')} MiB; peak RSS of the process ${peak.toFixed(0)} MiB`,
    );
  console.log(`snmp_exporter cycle (if_mib only): ${expWall.toFixed(2)} s wall, ${expCpu.toFixed(2)} CPU s`);
  console.log('goals: cycle < 30 s, CPU < 25% of one core, RSS under 150 MB (143 MiB)');
  console.log(
    `ratio (xunjian ÷ snmp_exporter CPU per cycle; xunjian also polls system + host_resources and derives link health): ${(a.cpu / expCpu).toFixed(3)}`,
  );
} finally {
  snmpd.kill();
}
