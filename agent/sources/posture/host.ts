import { execFile } from 'node:child_process';
import { lstatSync, readFileSync, readdirSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { join, posix } from 'node:path';
import type { Evidence, Fact } from '../../../contract/facts/posture.js';

/**
 * Read-only view of a host under a root directory. Files are read under `root`; commands run only
 * when the root is the live system ("/"), each bounded in time and killed when it hangs.
 */
export type ReadResult = { ok: true; text: string } | { ok: false; reason: string };

export class Host {
  readonly live: boolean;
  private readonly mapped: boolean;
  /** `live` (tests only) treats a tree as the running host's view for file reads, e.g. a fake /sys. */
  constructor(
    readonly root: string,
    private readonly commandTimeoutMs = 10_000,
    live?: boolean,
  ) {
    this.mapped = !(root === '/' || root === '');
    this.live = live ?? !this.mapped;
  }

  /**
   * The real path of a host path. Under a root, symlinks are resolved inside the root: an absolute
   * link target (e.g. /etc/pam.d/system-auth -> /etc/authselect/system-auth) is taken relative to
   * the root, and `..` never climbs above it, so a file tree never reads the scanning machine's files.
   */
  p(path: string): string {
    if (!this.mapped) return path;
    return join(this.root, this.inside(path));
  }

  /** `path` with every symlink under the root resolved, as a path relative to the root ("/…"). */
  private inside(path: string): string {
    const todo = posix.normalize(`/${path}`).split('/').filter(Boolean);
    const done: string[] = [];
    let hops = 0;
    while (todo.length) {
      const part = todo.shift()!;
      if (part === '.') continue;
      if (part === '..') {
        done.pop();
        continue;
      }
      const real = join(this.root, ...done, part);
      let link: string | undefined;
      try {
        if (lstatSync(real).isSymbolicLink()) link = readlinkSync(real);
      } catch {
        // missing: the caller's read reports it
      }
      if (link === undefined || ++hops > 40) {
        done.push(part);
        continue;
      }
      if (link.startsWith('/')) done.length = 0;
      todo.unshift(...link.split('/').filter(Boolean));
    }
    return `/${done.join('/')}`;
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
    const r = this.listResult(dir);
    return r.ok ? r.names : [];
  }

  /** Directory entries; a missing directory is empty, any other failure is reported. */
  listResult(dir: string): { ok: true; names: string[] } | { ok: false; reason: string } {
    try {
      return { ok: true, names: readdirSync(this.p(dir)).sort() };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, names: [] };
      return { ok: false, reason: failure(err, dir) };
    }
  }

  /** Target of a symlink (not followed), e.g. /proc/<pid>/fd/<n> -> socket:[inode]. */
  readlink(path: string): string | undefined {
    const dir = path.slice(0, path.lastIndexOf('/')) || '/';
    try {
      return readlinkSync(!this.mapped ? path : join(this.root, this.inside(dir), path.slice(path.lastIndexOf('/') + 1)));
    } catch {
      return undefined;
    }
  }

  /** Run a command on the live host only. */
  run(cmd: string, args: string[]): Promise<{ ok: true; stdout: string } | { ok: false; reason: string; stdout?: string }> {
    if (!this.live) return Promise.resolve({ ok: false, reason: `not run: reading a file tree under ${this.root}, not the live host` });
    return new Promise((resolve) => {
      execFile(
        cmd,
        args,
        { timeout: this.commandTimeoutMs, killSignal: 'SIGKILL', maxBuffer: 8 << 20, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } },
        (err, stdout, stderr) => {
          const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: number | string }) | null;
          if (!e) return resolve({ ok: true, stdout });
          if (e.code === 'ENOENT') return resolve({ ok: false, reason: `missing tool: ${cmd}` });
          if (e.killed) return resolve({ ok: false, reason: `${cmd} did not finish within ${this.commandTimeoutMs / 1000} s and was killed` });
          resolve({ ok: false, stdout, reason: `${cmd} ${args.join(' ')} failed: ${(stderr || e.message).trim().split('\n')[0]}` });
        },
      );
    });
  }
}

function failure(err: unknown, path: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `missing: ${path}`;
  if (code === 'EACCES' || code === 'EPERM') return `permission denied: ${path} (run the agent as root to read it)`;
  if (code === 'EISDIR') return `not a file: ${path} is a directory`;
  if (code === 'ENOTDIR') return `not a directory: ${path}`;
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
