/**
 * bench:snmp — CPU seconds per 100k varbinds polled, Xunjian's SNMP poller vs prometheus-snmp-exporter
 * doing identical work (the if_mib profile / the equivalent hand-written module, same max-repetitions,
 * same device) over several device sizes: 10, 30, 59 (the Cisco 3750 recording as recorded) and 472
 * interfaces (./recordings.ts derives them from that recording at run time, in a tmp dir).
 *
 * Both pollers are processes of their own (ours: ./poller.js, with the agent's V8 flags and a kept
 * session, as `xunjian agent` polls), and each one's CPU time is read alike from /proc/PID/stat; the
 * simulator's speed and the benchmark's own work do not count. Per size the two alternate round by
 * round (which one goes first alternating too), so machine drift hits both. Each round checks that
 * both returned the same table varbinds and the same series count.
 *
 * The ratio is taken after a warm-up per size (default: 200 000 varbinds' worth of polls of each
 * poller: 692 at 10 interfaces, 12 at 472), as an agent polling its devices every interval for weeks
 * runs: V8 settles on the poller's steady cost only after several hundred polls of a small device
 * (bench/README.md). The warm-up rounds are measured too and printed as their own ratio, so the
 * cold cost stays visible.
 *   npm run bench:snmp [-- VARBINDS_PER_SIZE [WARMUP]]   (default 60000 per poller and size; warm-up as above)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { startSnmpsim } from '../../test/helpers/snmp-peers.js';
import { freePort } from '../../test/helpers/net.js';
import { waitFor } from '../../test/helpers/proc.js';
import { interfacesOf, resizeRecording } from './recordings.js';
import { procCpuSeconds } from '../proc.js';

const budget = Number(process.argv[2] ?? 60_000);
/** Polls per size and poller before the measured rounds (JIT, sessions, the walks' split): WARMUP, or 200 000 varbinds' worth. */
const warmupArg = process.argv[3] === undefined ? undefined : Math.max(2, Number(process.argv[3]));
const warmupPolls = (varbinds: number) => warmupArg ?? Math.max(2, Math.ceil(200_000 / varbinds));

const dir = mkdtempSync(join(tmpdir(), 'xj-bench-'));
const cisco = gunzipSync(readFileSync('/usr/share/doc/snmpsim/examples/data/cisco_16_switch.snmprec.gz')).toString('latin1');
const recorded = interfacesOf(cisco).length;
const sizes = [10, 30, recorded, 8 * recorded];
const files: Record<string, string> = {};
for (const n of sizes) {
  const f = join(dir, `if${n}.snmprec`);
  writeFileSync(f, n === recorded ? cisco : resizeRecording(cisco, n), 'latin1');
  files[`if${n}`] = f;
}
const snmpd = await startSnmpsim(files);
const target = `127.0.0.1:${snmpd.port}`;
const template = readFileSync(fileURLToPath(new URL('../../../test/differential/snmp-exporter.yml', import.meta.url)), 'utf8').replace(/^#.*\n/gm, '');
writeFileSync(join(dir, 'snmp.yml'), sizes.map((n) => template.replace(/^if_mib:/m, `if${n}:`).replace('COMMUNITY', `if${n}`)).join('\n'));
const port = await freePort();
const children: ChildProcess[] = [];
const exp = spawn('prometheus-snmp-exporter', [`--config.file=${join(dir, 'snmp.yml')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=error'], {
  stdio: 'ignore',
});
children.push(exp);
const ours = spawn(process.execPath, [fileURLToPath(new URL('./poller.js', import.meta.url)), target], { stdio: ['pipe', 'pipe', 'inherit'] });
children.push(ours);
const replies = createInterface({ input: ours.stdout! })[Symbol.asyncIterator]();

interface Poll {
  varbinds: number;
  series: number;
  /** ours only: the poller's CPU time inside scrapeDevice (process.cpuUsage), µs */
  cpuUs?: number;
}
async function pollOurs(community: string): Promise<Poll> {
  ours.stdin!.write(`${community}\n`);
  const line = await replies.next();
  if (line.done) throw new Error('the poller process ended');
  const r = JSON.parse(line.value) as { ok: boolean; error?: string; tableVarbinds: number; series: number; cpuUs: number };
  if (!r.ok) throw new Error(`xunjian poll of ${community} failed: ${r.error}`);
  return { varbinds: r.tableVarbinds, series: r.series, cpuUs: r.cpuUs };
}
async function pollTheirs(module: string): Promise<Poll> {
  const res = await request(`http://127.0.0.1:${port}/snmp?target=${target}&module=${module}`);
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`snmp_exporter ${module}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
  let series = 0;
  for (const l of text.split('\n')) if (l && l[0] !== '#' && !l.startsWith('snmp_scrape_')) series++;
  return { varbinds: Number(/^snmp_scrape_pdus_returned (\d+)/m.exec(text)?.[1] ?? Number.NaN), series };
}

/** One round: both pollers once, which goes first alternating with `i`; [ours, theirs]. */
async function round(i: number, community: string): Promise<[Poll, Poll]> {
  if (i % 2 === 0) {
    const a = await pollOurs(community);
    return [a, await pollTheirs(community)];
  }
  const b = await pollTheirs(community);
  return [await pollOurs(community), b];
}

try {
  await waitFor(async () => (await request(`http://127.0.0.1:${port}/`)).statusCode === 200, 15_000, 'snmp_exporter');
  const load0 = loadavg()[0]!;
  const rows: string[] = [];
  for (const n of sizes) {
    const community = `if${n}`;
    // warm-up (sessions, JIT), and the work per poll, which both must agree on
    const w0 = [procCpuSeconds(ours.pid!), procCpuSeconds(exp.pid!)];
    let want: Poll | undefined;
    let warmup = 2;
    for (let i = 0; i < warmup; i++) {
      const [a, b] = await round(i, community);
      if (a.varbinds !== b.varbinds || a.series !== b.series)
        throw new Error(`${n} interfaces: xunjian ${a.varbinds} varbinds / ${a.series} series, snmp_exporter ${b.varbinds} / ${b.series}`);
      want = a;
      warmup = warmupPolls(a.varbinds);
    }
    const cold = (procCpuSeconds(ours.pid!) - w0[0]!) / (procCpuSeconds(exp.pid!) - w0[1]!);
    const rounds = Math.max(5, Math.ceil(budget / want!.varbinds));
    const o0 = procCpuSeconds(ours.pid!);
    const e0 = procCpuSeconds(exp.pid!);
    let inPoll = 0;
    for (let i = 0; i < rounds; i++) {
      for (const r of await round(i, community)) {
        inPoll += r.cpuUs ?? 0;
        if (r.varbinds !== want!.varbinds || r.series !== want!.series)
          throw new Error(`${n} interfaces, round ${i}: ${r.varbinds} varbinds / ${r.series} series, expected ${want!.varbinds} / ${want!.series}`);
      }
    }
    const oc = procCpuSeconds(ours.pid!) - o0;
    const ec = procCpuSeconds(exp.pid!) - e0;
    const vb = rounds * want!.varbinds;
    const per = (cpu: number) => ((cpu / vb) * 100_000).toFixed(3);
    const ms = (cpu: number) => ((cpu / rounds) * 1000).toFixed(2);
    rows.push(
      `| ${n}${n === recorded ? ' (as recorded)' : ''} | ${rounds} | ${want!.varbinds} | ${want!.series} | ${ms(oc)} (${(inPoll / rounds / 1000).toFixed(2)}) / ${ms(ec)} | ${per(oc)} | ${per(ec)} | **${(oc / ec).toFixed(2)}** | ${warmup}: ${cold.toFixed(2)} |`,
    );
    console.log(rows.at(-1));
  }
  console.log(
    `\nsnmpsimd (Cisco 3750 recording, resized by bench/snmp/recordings.ts), if_mib over loopback, rounds alternating after the warm-up polls (each poller, alternating too); load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}\n`,
  );
  console.log(
    '| interfaces | rounds | table varbinds per poll | series per poll | CPU ms per poll xunjian (of which in scrapeDevice) / snmp_exporter | xunjian CPU s / 100k vb | snmp_exporter CPU s / 100k vb | ratio | warm-up polls: ratio during them |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
} finally {
  for (const c of children) c.kill();
  await snmpd.stop();
}
