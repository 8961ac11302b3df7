import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Helpers for tests that run the real `xunjian` binary (built by `npm test` before vitest runs). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = `${ROOT}bin/xunjian.js`;

export function xunjian(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface Running {
  proc: ChildProcess;
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

export function start(args: string[], env: NodeJS.ProcessEnv = {}): Running {
  const proc = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    proc,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/**
 * Poll `fn` every `stepMs` until it returns a truthy value (returned) or `timeoutMs` passed (throws,
 * naming `what` and the last error `fn` threw). `fn` is tried once more at the deadline. The one
 * polling helper of the tests (test/delivery uses it too).
 */
export async function waitFor<T>(
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs: number,
  what: string,
  stepMs = 100,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/**
 * The URL a collector started with `listen: HOST:0` really listens on, read back from its
 * `collector listening url=…` log line: our own server picks its port, no port is reserved beforehand.
 */
export async function listeningUrl(output: () => string, timeoutMs = 30_000): Promise<string> {
  return waitFor(() => /collector listening url=(\S+)/.exec(output())?.[1], timeoutMs, '"collector listening" in its output').catch((err: Error) => {
    throw new Error(`${err.message}\n${output()}`);
  });
}
