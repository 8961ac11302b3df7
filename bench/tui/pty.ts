import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { request } from 'undici';
import type { SummaryPage } from '../../collector/api/summary.js';
import { selectNodes } from '../../tui/model.js';
import type { Ready } from './collector-worker.js';
import { procCpuSeconds } from '../proc.js';

/**
 * Key press → redrawn frame through a real terminal: a real collector (collector-worker.ts, in a
 * worker thread: 2,000 nodes pushed as signed reports, each with a switch of 4 interfaces and the
 * agent's link rates),
 * `xunjian tui` in a pty (util-linux `script`, 120×40, zh-CN, colours, refresh every 5 s as by
 * default, or as given), keys written to the pty, and the time until the pty's output shows the changed frame.
 * This includes what the in-process figures leave out: the pty, ink's input parsing, its render
 * throttle (30 fps), the frame's write, and the relay by `script` (what a terminal emulator does).
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const COLS = 120;
const ROWS = 40;
/** Body lines of the Nodes table at this size (app.tsx: rows − 1 − 4). */
const BODY = ROWS - 5;

const ESCAPES = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[()][A-Z0-9]|\u001b[=>78]/g;

interface Pty {
  child: ChildProcess;
  /** The TUI's node process (the child of `script`), for its CPU time. */
  tui?: number;
  /** When the last key was written (performance.now()). */
  t0: number;
  /** Output since the last `press` (escapes stripped). */
  seen: string;
  waiter?: { marker: string; resolve: () => void };
}

function openPty(base: string, tokenFile: string, refreshSeconds: number): Pty {
  const cmd = `stty cols ${COLS} rows ${ROWS} && exec '${process.execPath}' '${ROOT}bin/xunjian.js' tui --collector ${base} --token-file '${tokenFile}' --refresh ${refreshSeconds}`;
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', LANG: 'zh_CN.UTF-8', LC_ALL: '', NODE_ENV: 'production' };
  delete env.CI;
  delete env.NO_COLOR;
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const p: Pty = { child, seen: '', t0: 0 };
  let raw = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    // escapes can straddle chunks: strip on the joined tail
    raw += d;
    const cut = raw.lastIndexOf('\u001b');
    const done = cut >= 0 && raw.length - cut < 32 ? raw.slice(0, cut) : raw;
    raw = raw.slice(done.length);
    p.seen += done.replace(ESCAPES, '');
    const w = p.waiter;
    if (w && p.seen.includes(w.marker)) {
      p.waiter = undefined;
      w.resolve();
    }
  });
  child.stderr!.on('data', () => undefined);
  return p;
}

function waitFor(p: Pty, marker: string, ms: number): Promise<void> {
  if (p.seen.includes(marker)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${JSON.stringify(marker)} within ${ms} ms; last output:\n${p.seen.slice(-3000)}`)), ms);
    p.waiter = {
      marker,
      resolve: () => {
        clearTimeout(t);
        resolve();
      },
    };
  });
}

/** CPU time (user + system) of a process so far, ms (/proc, clock ticks of 10 ms). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    return procCpuSeconds(pid) * 1000;
  } catch {
    return 0;
  }
}

/** The process `script` runs (the TUI, exec'ed by its shell). */
function childOf(pid: number): number | undefined {
  try {
    const c = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    return c ? Number(c) : undefined;
  } catch {
    return undefined;
  }
}

/** The TUI process's CPU per bucket, summed over its presses (10 ms ticks: meaningful as a mean). */
const cpuSum = new Map<string, number>();

/** Write `key` to the pty and wait until the output shows `marker`: wall ms; the TUI's CPU added to `bucket`. */
async function press(p: Pty, key: string, marker: string, bucket = ''): Promise<number> {
  p.seen = '';
  const done = waitFor(p, marker, 15_000);
  const c0 = cpuMs(p.tui);
  const t0 = performance.now();
  p.t0 = t0;
  p.child.stdin!.write(key);
  await done;
  const ms = performance.now() - t0;
  cpuSum.set(bucket, (cpuSum.get(bucket) ?? 0) + cpuMs(p.tui) - c0);
  // let the trailing write of ink's throttle (and any refresh) pass before the next key
  await new Promise((r) => setTimeout(r, 40));
  return ms;
}

export interface PtyResult {
  name: string;
  ms: number[];
  /** Mean CPU time of the TUI process per key, ms (from /proc; null: not measured). */
  cpuMean: number | null;
}

/** `refreshSeconds`: the TUI's refresh interval (5, its default; 3600: no refresh during the run). */
export async function ptyBench(nodes: number, rounds: number, refreshSeconds = 5): Promise<PtyResult[]> {
  const worker = new Worker(new URL('./collector-worker.js', import.meta.url), { workerData: { nodes } });
  const ready = await new Promise<Ready>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const { base, tokenFile } = ready;
  const out: PtyResult[] = [];
  let p: Pty | undefined;
  try {
    process.stderr.write(`  (${nodes} nodes pushed in ${ready.pushSeconds.toFixed(1)} s)\n`);
    const token = readFileSync(tokenFile, 'utf8').trim();
    const page = (await (await request(`${base}/api/v1/summary`, { headers: { authorization: `Bearer ${token}` } })).body.json()) as SummaryPage;
    if (page.total !== nodes) throw new Error(`summary total ${page.total}, expected ${nodes}`);
    // the order the TUI shows (sorted by state, ties by node id)
    const ids = selectNodes(page.nodes, { text: '', zone: null, sort: 'state', desc: false }).map((n) => n.id);
    const row = (i: number) => `> ${ids[i]} `;

    p = openPty(base, tokenFile, refreshSeconds);
    await waitFor(p, row(0), 30_000);
    await waitFor(p, `显示 ${nodes}/${nodes}`, 30_000);
    p.tui = childOf(p.child.pid!);
    cpuSum.clear();
    await new Promise((r) => setTimeout(r, 300));

    const nav: number[] = [];
    const typing: number[] = [];
    const filterOpenClose: number[] = [];
    const open: number[] = [];
    const loaded: number[] = [];
    const back: number[] = [];
    for (let i = 0; i < rounds; i++) {
      nav.push(await press(p, 'j', row(1), 'nav'));
      nav.push(await press(p, 'k', row(0), 'nav'));
      nav.push(await press(p, '\u001b[6~', row(BODY), 'nav'));
      nav.push(await press(p, '\u001b[5~', row(0), 'nav'));
      nav.push(await press(p, 'G', row(nodes - 1), 'nav'));
      nav.push(await press(p, 'g', row(0), 'nav'));

      filterOpenClose.push(await press(p, '/', '输入筛选', 'filter'));
      let typed = '';
      for (const ch of 'node-01') {
        typed += ch;
        typing.push(await press(p, ch, `筛选: ${typed} `, 'typing'));
      }
      filterOpenClose.push(await press(p, '\u001b', '↑↓ 移动  ⏎ 打开', 'filter'));
      await waitFor(p, `显示 ${nodes}/${nodes}`, 5000);

      // the detail's first frame, then the frame with its data (facts, interfaces: HTTP round trips)
      open.push(await press(p, '\r', `节点详情: ${ids[0]}`, 'open'));
      const t0 = p.t0;
      // (press waits 40 ms after the first frame: the data may be on screen already, then this
      // figure is an upper bound)
      const data = '接口           运行';
      if (!p.seen.includes(data)) await waitFor(p, data, 15_000);
      loaded.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 40));
      back.push(await press(p, '\u001b', `显示 ${nodes}/${nodes}`, 'back'));
    }
    const mean = (bucket: string, n: number) => (p?.tui === undefined ? null : (cpuSum.get(bucket) ?? 0) / n);
    out.push(
      { name: 'navigate (j k PgDn PgUp G g)', ms: nav, cpuMean: mean('nav', nav.length) },
      { name: 'filter typing (each char)', ms: typing, cpuMean: mean('typing', typing.length) },
      { name: 'filter open / esc clear', ms: filterOpenClose, cpuMean: mean('filter', filterOpenClose.length) },
      { name: 'open detail (⏎, first frame)', ms: open, cpuMean: mean('open', open.length) },
      { name: 'open detail (its data shown)', ms: loaded, cpuMean: null },
      { name: 'back to the list (esc)', ms: back, cpuMean: mean('back', back.length) },
    );
    p.child.stdin!.write('q');
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    if (p && p.child.exitCode === null) p.child.kill('SIGTERM');
    const closed = new Promise((r) => worker.once('message', r));
    worker.postMessage('close');
    await closed;
    await worker.terminate();
  }
  return out;
}
