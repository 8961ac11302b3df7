import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import type { SummaryPage } from '../../collector/api/summary.js';
import type { Collector } from '../../collector/server.js';
import { postReport, startTestCollector } from '../../collector/test-support.js';
import type { Sample } from '../../contract/types.js';
import { selectNodes } from '../../tui/model.js';

/**
 * Key press → redrawn frame through a real terminal: a real collector (in this process, 2,000
 * nodes pushed as signed reports, each with a switch of 4 interfaces and the agent's link rates),
 * `xunjian tui` in a pty (util-linux `script`, 120×40, zh-CN, colours, refresh every 5 s as by
 * default), keys written to the pty, and the time until the pty's output shows the changed frame.
 * This includes what the in-process figures leave out: the pty, ink's input parsing, its render
 * throttle (30 fps), the frame's write, and the relay by `script` (what a terminal emulator does).
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const COLS = 120;
const ROWS = 40;
/** Body lines of the Nodes table at this size (app.tsx: rows − 1 − 4). */
const BODY = ROWS - 5;

const ESCAPES = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[()][A-Z0-9]|\u001b[=>78]/g;

function nodeSamples(i: number, now: number): Sample[] {
  const g = (name: string, labels: Record<string, string>, value: number): Sample => ({ name, labels, value, type: 'gauge', ts: now });
  const target = `sw-${i}`;
  const out: Sample[] = [g('xunjian_snmp_up', { target }, i % 29 === 0 ? 0 : 1)];
  for (let ix = 1; ix <= 4; ix++) {
    const l = { target, ifIndex: String(ix), ifName: `GE0/0/${ix}`, ifDescr: `GigabitEthernet0/0/${ix}`, ifAlias: `至乡镇${i % 97}-${ix}` };
    const link = { target, ifIndex: String(ix), ifName: `GE0/0/${ix}` };
    out.push(
      g('ifAdminStatus', l, 1),
      g('ifOperStatus', l, ix === 4 && i % 7 === 0 ? 2 : 1),
      g('ifHighSpeed', l, 1000),
      g('xunjian_link_in_bits_per_second', link, (i % 50) * 1e6 * ix),
      g('xunjian_link_out_bits_per_second', link, (i % 20) * 1e6),
      g('xunjian_link_in_utilization_ratio', link, ((i % 50) * ix) / 1000),
      g('xunjian_link_out_utilization_ratio', link, (i % 20) / 1000),
      g('xunjian_link_in_errors_per_second', link, i % 11 === 0 ? 0.5 : 0),
    );
  }
  out.push(
    g('xunjian_probe_icmp_loss_ratio', { probe: 'gw', target: 'gw', ip: '6' }, (i % 11) / 100),
    g('xunjian_probe_icmp_loss_ratio', { probe: 'gw', target: 'gw', ip: '4' }, (i % 13) / 200),
  );
  return out;
}

async function fleet(c: Collector, base: string, n: number): Promise<void> {
  const zones = ['extranet', 'gov-cloud', 'other'] as const;
  const now = Date.now();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < n; i = next++) {
      const id = `node-${String(i).padStart(5, '0')}`;
      const token = c.store.createToken(id);
      const r = await postReport(base, token, {
        v: 1,
        node: { id, site: `测试县乡镇${i % 97}号站点`, zone: zones[i % zones.length]!, grade: 3, labels: {} },
        agent: { version: 'bench', interval: 60 },
        seq: 1,
        sentAt: now,
        samples: nodeSamples(i, now),
        facts: { 'host.inventory': { hostname: `${id}-gw`, cpus: 4, os: { distro: 'Debian GNU/Linux', kernel: '6.1.0' } } },
      });
      if (r.status !== 200) throw new Error(`report of ${id}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

interface Pty {
  child: ChildProcess;
  /** Output since the last `press` (escapes stripped). */
  seen: string;
  waiter?: { marker: string; resolve: () => void };
}

function openPty(base: string, tokenFile: string): Pty {
  const cmd = `stty cols ${COLS} rows ${ROWS} && exec '${process.execPath}' '${ROOT}bin/xunjian.js' tui --collector ${base} --token-file '${tokenFile}'`;
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', LANG: 'zh_CN.UTF-8', LC_ALL: '', NODE_ENV: 'production' };
  delete env.CI;
  delete env.NO_COLOR;
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const p: Pty = { child, seen: '' };
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

/** Write `key` to the pty and wait until the output shows `marker`: wall ms. */
async function press(p: Pty, key: string, marker: string): Promise<number> {
  p.seen = '';
  const done = waitFor(p, marker, 15_000);
  const t0 = performance.now();
  p.child.stdin!.write(key);
  await done;
  const ms = performance.now() - t0;
  // let the trailing write of ink's throttle (and any refresh) pass before the next key
  await new Promise((r) => setTimeout(r, 40));
  return ms;
}

export interface PtyResult {
  name: string;
  ms: number[];
}

export async function ptyBench(nodes: number, rounds: number): Promise<PtyResult[]> {
  // no rules: a firing alert would re-sort the rows under the markers. The data dir in memory
  // (/dev/shm): 2,000 reports, each committed with fsync (synchronous=FULL), would take a minute on
  // a shared VM's disk, and the ingest is not what is measured here.
  const shm = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/xj-bench-tui-') : mkdtempSync(join(tmpdir(), 'xj-bench-tui-'));
  const { collector, base } = await startTestCollector({ XUNJIAN_COLLECTOR__RULES__BUILTIN: 'false', XUNJIAN_COLLECTOR__DATADIR: join(shm, 'data') });
  const out: PtyResult[] = [];
  let p: Pty | undefined;
  try {
    const t = performance.now();
    await fleet(collector, base, nodes);
    process.stderr.write(`  (${nodes} nodes pushed in ${((performance.now() - t) / 1000).toFixed(1)} s)\n`);
    const token = collector.store.apiTokens.create('bench-tui', 'security').token;
    const tokenFile = join(shm, 'api.token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const page = (await (await request(`${base}/api/v1/summary`, { headers: { authorization: `Bearer ${token}` } })).body.json()) as SummaryPage;
    if (page.total !== nodes) throw new Error(`summary total ${page.total}, expected ${nodes}`);
    // the order the TUI shows (sorted by state, ties by node id)
    const ids = selectNodes(page.nodes, { text: '', zone: null, sort: 'state', desc: false }).map((n) => n.id);
    const row = (i: number) => `> ${ids[i]} `;

    p = openPty(base, tokenFile);
    await waitFor(p, row(0), 30_000);
    await waitFor(p, `显示 ${nodes}/${nodes}`, 30_000);
    await new Promise((r) => setTimeout(r, 300));

    const nav: number[] = [];
    const typing: number[] = [];
    const filterOpenClose: number[] = [];
    const open: number[] = [];
    const loaded: number[] = [];
    const back: number[] = [];
    for (let i = 0; i < rounds; i++) {
      nav.push(await press(p, 'j', row(1)));
      nav.push(await press(p, 'k', row(0)));
      nav.push(await press(p, '\u001b[6~', row(BODY)));
      nav.push(await press(p, '\u001b[5~', row(0)));
      nav.push(await press(p, 'G', row(nodes - 1)));
      nav.push(await press(p, 'g', row(0)));

      filterOpenClose.push(await press(p, '/', '输入筛选'));
      let typed = '';
      for (const ch of 'node-01') {
        typed += ch;
        typing.push(await press(p, ch, `筛选: ${typed} `));
      }
      filterOpenClose.push(await press(p, '\u001b', '↑↓ 移动  ⏎ 打开'));
      await waitFor(p, `显示 ${nodes}/${nodes}`, 5000);

      // the detail's first frame, then the frame with its data (facts, interfaces: HTTP round trips)
      p.seen = '';
      const shown = waitFor(p, `节点详情: ${ids[0]}`, 15_000);
      const t0 = performance.now();
      p.child.stdin!.write('\r');
      await shown;
      open.push(performance.now() - t0);
      await waitFor(p, '接口           运行', 15_000);
      loaded.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 40));
      back.push(await press(p, '\u001b', `显示 ${nodes}/${nodes}`));
    }
    out.push(
      { name: 'navigate (j k PgDn PgUp G g)', ms: nav },
      { name: 'filter typing (each char)', ms: typing },
      { name: 'filter open / esc clear', ms: filterOpenClose },
      { name: 'open detail (⏎, first frame)', ms: open },
      { name: 'open detail (its data shown)', ms: loaded },
      { name: 'back to the list (esc)', ms: back },
    );
    p.child.stdin!.write('q');
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    if (p && p.child.exitCode === null) p.child.kill('SIGTERM');
    await collector.close();
    rmSync(shm, { recursive: true, force: true });
  }
  return out;
}
