import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import type si from 'systeminformation';
import type { Sample } from '../../../contract/types.js';
import type { Source, SourceContext, SourceResult } from '../../source.js';
import type { HostSourceConfig } from './config.js';
import { type ProcStat, parseProcStat } from './procstat.js';

// systeminformation's index loads all of its 20 modules (≈5 MiB of idle RSS, bench/README.md); the host
// source needs four of them. Their functions are the index's (typed by it).
const require = createRequire(import.meta.url);
const sys: Pick<typeof si, 'mem' | 'fsSize' | 'networkStats' | 'osInfo'> = {
  mem: (require('systeminformation/lib/memory.js') as typeof si).mem,
  fsSize: (require('systeminformation/lib/filesystem.js') as typeof si).fsSize,
  networkStats: (require('systeminformation/lib/network.js') as typeof si).networkStats,
  osInfo: (require('systeminformation/lib/osinfo.js') as typeof si).osInfo,
};

/**
 * Host metrics with node_exporter's names, so existing dashboards work. CPU time and the kernel's
 * counters come from /proc/stat as node_exporter reads it (every mode: user, nice, system, idle,
 * iowait, irq, softirq, steal; os.cpus() where there is no /proc); memory, filesystems, interfaces and
 * addresses from systeminformation. What does not change while the agent runs (the OS) is read once.
 */
export const HOST_HELP: Record<string, string> = {
  node_cpu_seconds_total: 'Seconds the CPUs spent in each mode.',
  node_cpu_guest_seconds_total: 'Seconds the CPUs spent in guests (VMs) for each mode.',
  node_context_switches_total: 'Total number of context switches.',
  node_forks_total: 'Total number of forks.',
  node_intr_total: 'Total number of interrupts serviced.',
  node_procs_running: 'Number of processes in runnable state.',
  node_procs_blocked: 'Number of processes blocked waiting for I/O to complete.',
  node_load1: '1m load average.',
  node_load5: '5m load average.',
  node_load15: '15m load average.',
  node_memory_MemTotal_bytes: 'Total memory in bytes.',
  node_memory_MemAvailable_bytes: 'Memory available for new work in bytes.',
  node_memory_SwapTotal_bytes: 'Total swap in bytes.',
  node_memory_SwapFree_bytes: 'Free swap in bytes.',
  node_filesystem_size_bytes: 'Filesystem size in bytes.',
  node_filesystem_avail_bytes: 'Filesystem space available to non-root users in bytes.',
  node_filesystem_readonly: 'Filesystem read-only status.',
  node_network_receive_bytes_total: 'Network device statistic receive_bytes.',
  node_network_transmit_bytes_total: 'Network device statistic transmit_bytes.',
  node_network_receive_errs_total: 'Network device statistic receive_errs.',
  node_network_transmit_errs_total: 'Network device statistic transmit_errs.',
  node_network_receive_drop_total: 'Network device statistic receive_drop.',
  node_network_transmit_drop_total: 'Network device statistic transmit_drop.',
  node_network_up: 'Whether the interface operstate is up.',
  node_boot_time_seconds: 'Node boot time, in unixtime.',
};

export interface HostAddress {
  interface: string;
  family: 'ipv4' | 'ipv6';
  address: string;
  prefixLength: number | null;
  scope: 'global' | 'link-local' | 'loopback' | 'unique-local';
}

function ipv6Scope(addr: string): HostAddress['scope'] {
  const a = addr.toLowerCase();
  if (a === '::1') return 'loopback';
  if (a.startsWith('fe8') || a.startsWith('fe9') || a.startsWith('fea') || a.startsWith('feb')) return 'link-local';
  if (a.startsWith('fc') || a.startsWith('fd')) return 'unique-local';
  return 'global';
}

/** Addresses as inventory facts, from Node's view of the interfaces (all addresses, not only the first). */
export function hostAddresses(ifaces: NodeJS.Dict<os.NetworkInterfaceInfo[]>): HostAddress[] {
  const out: HostAddress[] = [];
  for (const [name, list] of Object.entries(ifaces)) {
    for (const a of list ?? []) {
      const prefix = a.cidr ? Number(a.cidr.split('/')[1]) : null;
      if (a.family === 'IPv4') {
        out.push({
          interface: name,
          family: 'ipv4',
          address: a.address,
          prefixLength: prefix,
          scope: a.internal ? 'loopback' : a.address.startsWith('169.254.') ? 'link-local' : 'global',
        });
      } else {
        out.push({ interface: name, family: 'ipv6', address: a.address.split('%')[0]!, prefixLength: prefix, scope: ipv6Scope(a.address) });
      }
    }
  }
  return out;
}

/** /proc/stat, or undefined where there is none (not Linux): os.cpus() then. */
async function readProcStat(path: string): Promise<ProcStat | undefined> {
  try {
    return parseProcStat(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}

export interface HostSourceDeps {
  /** Path of /proc/stat (tests give a fixture). */
  procStat?: string;
  /** systeminformation's osInfo (read once per source). */
  osInfo?: () => Promise<si.Systeminformation.OsData>;
}

export function createHostSource(cfg: HostSourceConfig, deps: HostSourceDeps = {}): Source {
  const fsExcluded = new Set(cfg.excludeFilesystemTypes);
  const ifExcluded = cfg.excludeInterfaces.map((r) => new RegExp(r));
  const procStatPath = deps.procStat ?? '/proc/stat';
  const readOs = deps.osInfo ?? (() => sys.osInfo());
  // the OS does not change while the agent runs: read once (a failed read is tried again next time)
  let osInfo: Promise<si.Systeminformation.OsData> | undefined;
  const osOnce = () => {
    osInfo ??= readOs().catch((err: unknown) => {
      osInfo = undefined;
      throw err;
    });
    return osInfo;
  };
  return {
    name: 'host',
    intervalSeconds: cfg.intervalSeconds,
    async collect(ctx: SourceContext): Promise<SourceResult> {
      const [mem, fsList, net, osData, stat] = await Promise.all([sys.mem(), sys.fsSize(), sys.networkStats('*'), osOnce(), readProcStat(procStatPath)]);
      const ts = ctx.now();
      const samples: Sample[] = [];
      const g = (name: string, value: number, labels: Record<string, string> = {}) => samples.push({ name, labels, value, type: 'gauge', ts });
      const c = (name: string, value: number, labels: Record<string, string> = {}) => samples.push({ name, labels, value, type: 'counter', ts });

      if (stat?.cpus.length) {
        for (const cpu of stat.cpus) {
          for (const [mode, secs] of Object.entries(cpu.seconds)) c('node_cpu_seconds_total', secs, { cpu: cpu.cpu, mode });
          c('node_cpu_guest_seconds_total', cpu.guest.user, { cpu: cpu.cpu, mode: 'user' });
          c('node_cpu_guest_seconds_total', cpu.guest.nice, { cpu: cpu.cpu, mode: 'nice' });
        }
      } else {
        os.cpus().forEach((cpu, i) => {
          for (const [mode, ms] of Object.entries(cpu.times))
            c('node_cpu_seconds_total', ms / 1000, { cpu: String(i), mode: mode === 'sys' ? 'system' : mode });
        });
      }
      if (stat?.contextSwitches !== undefined) c('node_context_switches_total', stat.contextSwitches);
      if (stat?.forks !== undefined) c('node_forks_total', stat.forks);
      if (stat?.interrupts !== undefined) c('node_intr_total', stat.interrupts);
      if (stat?.procsRunning !== undefined) g('node_procs_running', stat.procsRunning);
      if (stat?.procsBlocked !== undefined) g('node_procs_blocked', stat.procsBlocked);
      const [l1, l5, l15] = os.loadavg();
      g('node_load1', l1!);
      g('node_load5', l5!);
      g('node_load15', l15!);
      g('node_boot_time_seconds', stat?.bootTime ?? Math.round(Date.now() / 1000 - os.uptime()));
      g('node_memory_MemTotal_bytes', mem.total);
      g('node_memory_MemAvailable_bytes', mem.available);
      g('node_memory_SwapTotal_bytes', mem.swaptotal);
      g('node_memory_SwapFree_bytes', mem.swapfree);

      const seen = new Set<string>();
      for (const f of fsList) {
        if (fsExcluded.has(f.type) || seen.has(f.mount)) continue;
        seen.add(f.mount);
        const labels = { device: f.fs, fstype: f.type, mountpoint: f.mount };
        g('node_filesystem_size_bytes', f.size, labels);
        g('node_filesystem_avail_bytes', f.available, labels);
        g('node_filesystem_readonly', f.rw === false ? 1 : 0, labels);
      }
      for (const n of net) {
        if (ifExcluded.some((r) => r.test(n.iface))) continue;
        const labels = { device: n.iface };
        c('node_network_receive_bytes_total', n.rx_bytes, labels);
        c('node_network_transmit_bytes_total', n.tx_bytes, labels);
        c('node_network_receive_errs_total', n.rx_errors, labels);
        c('node_network_transmit_errs_total', n.tx_errors, labels);
        c('node_network_receive_drop_total', n.rx_dropped, labels);
        c('node_network_transmit_drop_total', n.tx_dropped, labels);
        g('node_network_up', n.operstate === 'up' ? 1 : 0, labels);
      }
      const addresses = hostAddresses(os.networkInterfaces());
      return {
        samples,
        help: HOST_HELP,
        facts: {
          'host.inventory': {
            hostname: os.hostname(),
            os: {
              platform: osData.platform,
              distro: osData.distro,
              release: osData.release,
              codename: osData.codename,
              kernel: osData.kernel,
              arch: osData.arch,
            },
            cpus: os.cpus().length,
            memoryBytes: mem.total,
            addresses,
            ipv6: { enabled: addresses.some((a) => a.family === 'ipv6'), global: addresses.some((a) => a.family === 'ipv6' && a.scope === 'global') },
          },
        },
      };
    },
  };
}
