import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { Evidence, Fact } from '../../../contract/facts/posture.js';

/**
 * Read-only view of a host under a root directory. Files are read under `root`; commands run only
 * when the root is the live system ("/"), each bounded in time and killed when it hangs.
 */
export type ReadResult = { ok: true; text: string } | { ok: false; reason: string };

export class Host {
  readonly live: boolean;
  constructor(
    readonly root: string,
    private readonly commandTimeoutMs = 10_000,
  ) {
    this.live = root === '/' || root === '';
  }

  p(path: string): string {
    return this.live ? path : join(this.root, path);
  }

  read(path: string): ReadResult {
    try {
      return { ok: true, text: readFileSync(this.p(path), 'utf8') };
    } catch (err) {
      return { ok: false, reason: failure(err, path) };
    }
  }

  text(path: string): string | undefined {
    const r = this.read(path);
    return r.ok ? r.text : undefined;
  }

  stat(path: string): Stats | undefined {
    try {
      return statSync(this.p(path));
    } catch {
      return undefined;
    }
  }

  exists(path: string): boolean {
    return this.stat(path) !== undefined;
  }

  list(dir: string): string[] {
    try {
      return readdirSync(this.p(dir)).sort();
    } catch {
      return [];
    }
  }

  /** Run a command on the live host only. */
  run(cmd: string, args: string[]): Promise<{ ok: true; stdout: string } | { ok: false; reason: string; stdout?: string }> {
    if (!this.live) return Promise.resolve({ ok: false, reason: `not run: reading a file tree under ${this.root}, not the live host` });
    return new Promise((resolve) => {
      execFile(cmd, args, { timeout: this.commandTimeoutMs, killSignal: 'SIGKILL', maxBuffer: 8 << 20, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } }, (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: number | string }) | null;
        if (!e) return resolve({ ok: true, stdout });
        if (e.code === 'ENOENT') return resolve({ ok: false, reason: `missing tool: ${cmd}` });
        if (e.killed) return resolve({ ok: false, reason: `${cmd} did not finish within ${this.commandTimeoutMs / 1000} s and was killed` });
        resolve({ ok: false, stdout, reason: `${cmd} ${args.join(' ')} failed: ${(stderr || e.message).trim().split('\n')[0]}` });
      });
    });
  }
}

function failure(err: unknown, path: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `missing: ${path}`;
  if (code === 'EACCES' || code === 'EPERM') return `permission denied: ${path} (run the agent as root to read it)`;
  return `cannot read ${path}: ${code ?? (err as Error).message}`;
}

export const ok = <T>(value: T, evidence: Evidence[] = []): Fact<T> => ({ status: 'ok', value, evidence });
export const unknown = (reason: string, evidence: Evidence[] = []): Fact => ({ status: 'unknown', value: null, evidence, reason });

/** Non-comment, non-empty lines of a config file with their 1-based numbers. */
export function configLines(text: string, comment = '#'): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  text.split('\n').forEach((raw, i) => {
    const t = raw.trim();
    if (t && !t.startsWith(comment)) out.push({ line: i + 1, text: t });
  });
  return out;
}

export const ev = (source: string, line: number | undefined, excerpt: string): Evidence => (line ? { source, line, excerpt } : { source, excerpt });
