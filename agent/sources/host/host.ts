import os from 'node:os';
import si from 'systeminformation';
import type { Sample } from '../../../contract/types.js';
import type { Source, SourceContext, SourceResult } from '../../source.js';
import type { HostSourceConfig } from './config.js';

/**
 * Host metrics with node_exporter's names, so existing dashboards work. CPU time comes from
 * os.cpus() (kernel counters, no sampling delay; systeminformation's currentLoad sleeps ~0.5 s);
 * memory, filesystems, interfaces and addresses come from systeminformation.
 */
export const HOST_HELP: Record<string, string> = {
  node_cpu_seconds_total: 'Seconds the CPUs spent in each mode.',
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
        out.push({ interface: name, family: 'ipv4', address: a.address, prefixLength: prefix, scope: a.internal ? 'loopback' : a.address.startsWith('169.254.') ? 'link-local' : 'global' });
      } else {
        out.push({ interface: name, family: 'ipv6', address: a.address.split('%')[0]!, prefixLength: prefix, scope: ipv6Scope(a.address) });
      }
    }
  }
  return out;
}

export function createHostSource(cfg: HostSourceConfig): Source {
  const fsExcluded = new Set(cfg.excludeFilesystemTypes);
  const ifExcluded = cfg.excludeInterfaces.map((r) => new RegExp(r));
  return {
    name: 'host',
    intervalSeconds: cfg.intervalSeconds,
    async collect(ctx: SourceContext): Promise<SourceResult> {
      const [mem, fsList, net, osInfo] = await Promise.all([si.mem(), si.fsSize(), si.networkStats('*'), si.osInfo()]);
      const ts = ctx.now();
      const samples: Sample[] = [];
      const g = (name: string, value: number, labels: Record<string, string> = {}) => samples.push({ name, labels, value, type: 'gauge', ts });
      const c = (name: string, value: number, labels: Record<string, string> = {}) => samples.push({ name, labels, value, type: 'counter', ts });

      os.cpus().forEach((cpu, i) => {
        for (const [mode, ms] of Object.entries(cpu.times)) c('node_cpu_seconds_total', ms / 1000, { cpu: String(i), mode: mode === 'sys' ? 'system' : mode });
      });
      const [l1, l5, l15] = os.loadavg();
      g('node_load1', l1!);
      g('node_load5', l5!);
      g('node_load15', l15!);
      g('node_boot_time_seconds', Math.round(Date.now() / 1000 - os.uptime()));
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
            os: { platform: osInfo.platform, distro: osInfo.distro, release: osInfo.release, codename: osInfo.codename, kernel: osInfo.kernel, arch: osInfo.arch },
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
