/**
 * Idle memory of `xunjian agent`: the real binary (bin/xunjian.js, with the agent's V8 flags) started with
 * two configs side by side — host + posture only, and host + posture + probes + SNMP targets — against an
 * absent loopback collector (reports are spooled). Each process's VmRSS is read from /proc/PID/status at
 * each of SAMPLES seconds after start (default 30 and 55: settled, and after V8's memory reducer had
 * its chance), with the peak (VmHWM). Goal: < 80 MB (76.3 MiB) idle with host + posture, at the last sample.
 *
 *   npm run bench:agent-memory            (SAMPLES=30,55; under a minute)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const SAMPLES = (process.env.SAMPLES ?? '30,55').split(',').map(Number);
const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin/xunjian.js');
const GOAL_MIB = 80e6 / 2 ** 20;

const common = (dir: string) => `
node: { id: bench-mem, site: bench }
collector: { url: "http://127.0.0.1:9", token: bench-token }
dataDir: ${join(dir, 'data')}
log: { level: error }
`;

const CONFIGS: Record<string, string> = {
  'host + posture': 'sources: { host: { enabled: true }, posture: { enabled: true } }\n',
  'host + posture + probes + snmp': `sources:
  probes:
    targets:
      - { name: loop-tcp, type: tcp, target: "127.0.0.1:9", ip: 4 }
      - { name: loop-icmp, type: icmp, target: 127.0.0.1, ip: 4, count: 2 }
      - { name: loop-http, type: http, target: "http://127.0.0.1:9/", ip: 4 }
  snmp:
    credentials: { pub: { version: "2c", community: public } }
    targets:
      - { name: sw1, address: "udp://127.0.0.1:9", credential: pub, timeoutSeconds: 1, retries: 0 }
      - { name: sw2, address: "udp://127.0.0.1:9", credential: pub, timeoutSeconds: 1, retries: 0 }
`,
};

function status(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? Number.NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

async function main(): Promise<void> {
  const dirs: string[] = [];
  const procs: [string, ChildProcess, () => string][] = [];
  for (const [name, sources] of Object.entries(CONFIGS)) {
    const dir = mkdtempSync(join(tmpdir(), 'xj-bench-mem-'));
    dirs.push(dir);
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, common(dir) + sources);
    const p = spawn(process.execPath, [BIN, 'agent', '-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d) => (err += d));
    procs.push([name, p, () => err]);
  }
  const rss = new Map<string, number[]>(procs.map(([name]) => [name, []]));
  const t0 = Date.now();
  for (const at of SAMPLES) {
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + at * 1000 - Date.now())));
    for (const [name, p] of procs) if (p.exitCode === null) rss.get(name)!.push(status(p.pid!).rss);
  }
  console.log(`xunjian agent, idle; VmRSS at ${SAMPLES.join(' s, ')} s after start (goal: host + posture < 80 MB = ${GOAL_MIB.toFixed(1)} MiB)`);
  let ok = true;
  for (const [name, p, err] of procs) {
    if (p.exitCode !== null) {
      console.log(`${name}: exited ${p.exitCode}: ${err()}`);
      ok = false;
      continue;
    }
    const values = rss.get(name)!;
    const last = values[values.length - 1]!;
    const goal = name === 'host + posture';
    if (goal && last >= GOAL_MIB) ok = false;
    const verdict = goal ? (last < GOAL_MIB ? ' (goal met)' : ' (goal NOT met)') : '';
    console.log(
      `${name.padEnd(32)} VmRSS ${values.map((v) => `${v.toFixed(1)}`).join(' / ')} MiB, peak (VmHWM) ${status(p.pid!).hwm.toFixed(1)} MiB${verdict}`,
    );
    p.kill('SIGTERM');
  }
  await Promise.all(procs.map(([, p]) => (p.exitCode === null ? new Promise((r) => p.once('exit', r)) : undefined)));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  process.exitCode = ok ? 0 : 1;
}

await main();
