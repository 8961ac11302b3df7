import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import si from 'systeminformation';
import { describe, expect, it } from 'vitest';
import { checkReport } from '../../../contract/schema.js';
import { createLogger } from '../../../lib/log.js';
import { createHostSource, hostAddresses } from './host.js';
import { CPU_MODES, parseProcStat } from './procstat.js';

const log = createLogger({ level: 'error' });
const ctx = () => ({ signal: new AbortController().signal, log, now: () => 1_700_000_000_000 });
const cfg = { enabled: true, intervalSeconds: 60, excludeFilesystemTypes: ['tmpfs'], excludeInterfaces: ['^lo$'] };

// /proc/stat of a 2-vCPU KVM guest (Linux 6.1): steal and guest columns non-zero
const STAT = `cpu  221989 4 29234 124748 1452 0 492 2218 310 7
cpu0 107871 2 14221 66223 414 0 155 1136 200 3
cpu1 114118 1 15012 58525 1038 0 336 1081 110 4
intr 2015230 0 0 0 0 0
ctxt 6206435
btime 1796281977
processes 41136
procs_running 15
procs_blocked 2
softirq 975042 0 133179 5 279882 96721 0 2 128581 3 336669
`;

describe('parseProcStat', () => {
  it('reads every mode of every CPU in seconds (USER_HZ 100), the guest columns apart, and the kernel counters', () => {
    const p = parseProcStat(STAT);
    expect(p.cpus.map((c) => c.cpu)).toEqual(['0', '1']);
    expect(p.cpus[0]).toEqual({
      cpu: '0',
      seconds: { user: 1078.71, nice: 0.02, system: 142.21, idle: 662.23, iowait: 4.14, irq: 0, softirq: 1.55, steal: 11.36 },
      guest: { user: 2, nice: 0.03 },
    });
    expect(p).toMatchObject({ bootTime: 1796281977, contextSwitches: 6206435, forks: 41136, interrupts: 2015230, procsRunning: 15, procsBlocked: 2 });
  });
  it('an older kernel without steal/guest columns: those are 0', () => {
    const p = parseProcStat('cpu0 10 20 30 40 50 60 70\n');
    expect(p.cpus[0]!.seconds).toEqual({ user: 0.1, nice: 0.2, system: 0.3, idle: 0.4, iowait: 0.5, irq: 0.6, softirq: 0.7, steal: 0 });
    expect(p.cpus[0]!.guest).toEqual({ user: 0, nice: 0 });
  });
});

describe('host source', () => {
  it('emits node_cpu_seconds_total with all modes per CPU from /proc/stat, and node_exporter stat counters', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xj-host-'));
    writeFileSync(join(dir, 'stat'), STAT);
    const src = createHostSource(cfg, { procStat: join(dir, 'stat') });
    const r = await src.collect(ctx());
    const cpu = r.samples.filter((s) => s.name === 'node_cpu_seconds_total');
    expect(cpu).toHaveLength(2 * CPU_MODES.length);
    expect(cpu.find((s) => s.labels.cpu === '1' && s.labels.mode === 'steal')).toMatchObject({ value: 10.81, type: 'counter' });
    expect(cpu.find((s) => s.labels.cpu === '1' && s.labels.mode === 'iowait')!.value).toBe(10.38);
    expect(cpu.find((s) => s.labels.cpu === '0' && s.labels.mode === 'softirq')!.value).toBe(1.55);
    const one = (name: string) => r.samples.filter((s) => s.name === name).map((s) => s.value);
    expect(one('node_cpu_guest_seconds_total')).toEqual([2, 0.03, 1.1, 0.04]);
    expect(one('node_context_switches_total')).toEqual([6206435]);
    expect(one('node_forks_total')).toEqual([41136]);
    expect(one('node_intr_total')).toEqual([2015230]);
    expect(one('node_procs_running')).toEqual([15]);
    expect(one('node_procs_blocked')).toEqual([2]);
    expect(one('node_boot_time_seconds')).toEqual([1796281977]);
    for (const s of r.samples) expect(r.help![s.name], s.name).toBeTruthy();
  });

  it('on this host: the live /proc/stat, every CPU, counters that only go up, a valid report', async () => {
    const src = createHostSource(cfg);
    const a = await src.collect(ctx());
    const b = await src.collect(ctx());
    const cpus = new Set(a.samples.filter((s) => s.name === 'node_cpu_seconds_total').map((s) => s.labels.cpu));
    expect(cpus.size).toBe(parseProcStat(readFileSync('/proc/stat', 'utf8')).cpus.length);
    const modes = new Set(a.samples.filter((s) => s.name === 'node_cpu_seconds_total').map((s) => s.labels.mode));
    expect([...modes].sort()).toEqual([...CPU_MODES].sort());
    const key = (s: { name: string; labels: Record<string, string> }) => `${s.name}${JSON.stringify(s.labels)}`;
    const before = new Map(a.samples.filter((s) => s.name === 'node_cpu_seconds_total').map((s) => [key(s), s.value]));
    for (const s of b.samples.filter((x) => x.name === 'node_cpu_seconds_total')) expect(s.value).toBeGreaterThanOrEqual(before.get(key(s))!);
    expect(a.samples.find((s) => s.name === 'node_memory_MemTotal_bytes')!.value).toBe(os.totalmem());
    const report = {
      v: 1,
      node: { id: 'n', site: '', zone: 'other', grade: 3, labels: {} },
      agent: { version: 't', interval: 60 },
      seq: 1,
      sentAt: 1,
      samples: a.samples,
      facts: a.facts,
    };
    expect(checkReport(report)).toMatchObject({ ok: true });
    const inv = a.facts!['host.inventory'] as { hostname: string; cpus: number; os: { kernel: string } };
    expect(inv.hostname).toBe(os.hostname());
    expect(inv.os.kernel).toBe(os.release());
  });

  it('reads the OS (osInfo) once, not on every collection', async () => {
    let calls = 0;
    const src = createHostSource(cfg, {
      osInfo: () => {
        calls++;
        return si.osInfo();
      },
    });
    await src.collect(ctx());
    await src.collect(ctx());
    await src.collect(ctx());
    expect(calls).toBe(1);
  });

  it('without /proc/stat (not Linux) falls back to os.cpus()', async () => {
    const src = createHostSource(cfg, { procStat: '/nonexistent/stat' });
    const r = await src.collect(ctx());
    const cpus = new Set(r.samples.filter((s) => s.name === 'node_cpu_seconds_total').map((s) => s.labels.cpu));
    expect(cpus.size).toBe(os.cpus().length);
    expect(r.samples.some((s) => s.name === 'node_context_switches_total')).toBe(false);
  });
});

describe('hostAddresses', () => {
  it.each([
    ['::1', 'loopback'],
    ['fe80::1%eth0', 'link-local'],
    ['fd00::5', 'unique-local'],
    ['2001:db8::5', 'global'],
  ])('%s is %s', (address, scope) => {
    const [a] = hostAddresses({
      eth0: [
        { address, netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '00:00:00:00:00:00', internal: address === '::1', cidr: `${address}/64`, scopeid: 0 },
      ],
    });
    expect(a).toEqual({ interface: 'eth0', family: 'ipv6', address: address.split('%')[0], prefixLength: 64, scope });
  });
  it('IPv4: loopback, link-local and global', () => {
    const v4 = (address: string, internal = false) => ({
      address,
      netmask: '255.255.255.0',
      family: 'IPv4' as const,
      mac: '00:00:00:00:00:00',
      internal,
      cidr: `${address}/24`,
    });
    expect(hostAddresses({ lo: [v4('127.0.0.1', true)], eth0: [v4('169.254.3.4'), v4('10.1.2.3')] }).map((a) => a.scope)).toEqual([
      'loopback',
      'link-local',
      'global',
    ]);
  });
});
