import type { Host } from './host.js';
import { configLines } from './host.js';

export interface PamLine {
  file: string;
  line: number;
  text: string;
  type: string;
  control: string;
  module: string;
  args: Map<string, string>;
}

/**
 * A PAM service file as PAM reads it: `include`/`substack` controls and `@include` lines are followed
 * (relative names under /etc/pam.d), `[value=action …]` controls are kept whole, `-type` (silently
 * skipped when the module is missing) counts as `type`. Files that cannot be read are an error; a
 * missing top file says `missing: …`.
 */
export function pamStack(host: Host, file: string, depth = 0, seen = new Set<string>()): { lines: PamLine[] } | { error: string } {
  const r = host.read(file);
  if (!r.ok) return { error: r.reason };
  if (depth > 8 || seen.has(file)) return { lines: [] };
  seen.add(file);
  const out: PamLine[] = [];
  for (const { line, text } of configLines(r.text)) {
    const inc = /^@include\s+(\S+)/.exec(text);
    if (inc) {
      const sub = pamStack(host, pamPath(inc[1]!), depth + 1, seen);
      if ('error' in sub) return { error: `${file}:${line}: ${sub.error}` };
      out.push(...sub.lines);
      continue;
    }
    const m = /^-?(\w+)\s+(\[[^\]]*\]|\S+)\s+(\S+)\s*(.*)$/.exec(text);
    if (!m) continue;
    const [, type, control, module, rest] = m as unknown as [string, string, string, string, string];
    if (control === 'include' || control === 'substack') {
      const sub = pamStack(host, pamPath(module), depth + 1, seen);
      if ('error' in sub) return { error: `${file}:${line}: ${sub.error}` };
      out.push(...sub.lines.filter((l) => l.type === type));
      continue;
    }
    const args = new Map<string, string>();
    for (const a of rest.split(/\s+/).filter(Boolean)) {
      const i = a.indexOf('=');
      args.set(i < 0 ? a : a.slice(0, i), i < 0 ? '' : a.slice(i + 1));
    }
    out.push({ file, line, text, type: type.toLowerCase(), control, module: module.slice(module.lastIndexOf('/') + 1), args });
  }
  seen.delete(file);
  return { lines: out };
}

const pamPath = (name: string): string => (name.startsWith('/') ? name : `/etc/pam.d/${name}`);
