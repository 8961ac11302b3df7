import { readFileSync } from 'node:fs';

/** CPU seconds (user + system, all threads) of a process so far: /proc/PID/stat fields 14 and 15, in clock ticks of 1/100 s. */
export function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}
