/**
 * /proc/stat as node_exporter's cpu and stat collectors read it (pure; no I/O). CPU times are in
 * USER_HZ ticks, which the kernel fixes at 100 per second for /proc whatever CONFIG_HZ is.
 */
export const USER_HZ = 100;

/** node_cpu_seconds_total modes, in /proc/stat column order (guest columns are separate: they are already in user/nice). */
export const CPU_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;
export type CpuMode = (typeof CPU_MODES)[number];

export interface CpuTimes {
  cpu: string;
  /** Seconds per mode. */
  seconds: Record<CpuMode, number>;
  /** Guest time (already counted in user and nice), seconds. */
  guest: { user: number; nice: number };
}

export interface ProcStat {
  cpus: CpuTimes[];
  bootTime?: number;
  contextSwitches?: number;
  forks?: number;
  interrupts?: number;
  procsRunning?: number;
  procsBlocked?: number;
}

export function parseProcStat(text: string): ProcStat {
  const out: ProcStat = { cpus: [] };
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const key = f[0];
    if (!key) continue;
    const num = (i: number) => {
      const v = Number(f[i]);
      return Number.isFinite(v) ? v : 0;
    };
    const m = /^cpu(\d+)$/.exec(key);
    if (m) {
      const seconds = Object.fromEntries(CPU_MODES.map((mode, i) => [mode, num(i + 1) / USER_HZ])) as Record<CpuMode, number>;
      out.cpus.push({ cpu: m[1]!, seconds, guest: { user: num(9) / USER_HZ, nice: num(10) / USER_HZ } });
      continue;
    }
    if (key === 'btime') out.bootTime = num(1);
    else if (key === 'ctxt') out.contextSwitches = num(1);
    else if (key === 'processes') out.forks = num(1);
    else if (key === 'intr') out.interrupts = num(1);
    else if (key === 'procs_running') out.procsRunning = num(1);
    else if (key === 'procs_blocked') out.procsBlocked = num(1);
  }
  return out;
}
