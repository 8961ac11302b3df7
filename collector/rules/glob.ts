import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, sep } from 'node:path';

/** Go's filepath.Match pattern of one path segment as a RegExp (`*`, `?`, `[…]`, `\` escapes). */
function segmentRe(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const j = seg.indexOf(']', i + 1);
      if (j < 0) throw new Error('syntax error in pattern');
      let body = seg.slice(i + 1, j);
      if (body.startsWith('^')) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = j;
    } else if (c === '\\' && i + 1 < seg.length) re += seg[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const hasMeta = (s: string) => /[*?[\\]/.test(s);

/** filepath.Glob: the files matching a pattern, sorted per directory (no `**`, as Go). */
export function globFiles(pattern: string): string[] {
  const abs = isAbsolute(pattern);
  const segs = pattern.split(sep).filter((s, i) => s !== '' || i === 0);
  let bases = [abs ? sep : '.'];
  let first = true;
  for (const seg of segs) {
    if (seg === '' && first) {
      first = false;
      continue;
    }
    first = false;
    const next: string[] = [];
    for (const b of bases) {
      if (!hasMeta(seg)) {
        next.push(b === '.' && !abs ? seg : join(b, seg));
        continue;
      }
      let names: string[];
      try {
        names = readdirSync(b).sort();
      } catch {
        continue;
      }
      const re = segmentRe(seg);
      for (const n of names) if (re.test(n)) next.push(b === '.' && !abs ? n : join(b, n));
    }
    bases = next;
  }
  return bases.filter((p) => {
    try {
      statSync(p);
      return true;
    } catch {
      return false;
    }
  });
}
