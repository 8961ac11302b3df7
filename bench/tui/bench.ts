import { performance } from 'node:perf_hooks';
import { Box, Text, useInput } from 'ink';
import { render } from 'ink-testing-library';
import { createElement, useState } from 'react';
import type { NodeSummary } from '../../collector/api/summary.js';
import { App } from '../../tui/app.js';
import { labels } from '../../tui/i18n.js';
import { layout, nodeColumns, renderRow } from '../../tui/model.js';
import { MemoryApi, node } from '../../tui/testdata.js';
import { ptyBench } from './pty.js';

/**
 * bench:tui — time from a key press to the redrawn frame with 2,000 nodes (goal: < 100 ms p95).
 * 1. In process: the TUI's virtualised table against a naive table that renders every row (what
 *    ink-table does), both in ink 6 at 120×40; the frame is taken when ink writes it
 *    (ink-testing-library's stdout, unthrottled).
 * 2. Through a real terminal (pty.ts): a real collector with 2,000 nodes, `xunjian tui` in a pty,
 *    keys written to the pty, wall time until the pty shows the changed frame.
 * Usage: npm run bench:tui [-- NODES ROUNDS PTY_ROUNDS]
 */
const NODES = Number(process.argv[2] ?? 2000);
const ROUNDS = Number(process.argv[3] ?? 10);
const PTY_ROUNDS = Number(process.argv[4] ?? 8);
const FIXED = Date.UTC(2026, 11, 3, 8, 0, 0);
const L = labels('zh');

function fleet(n: number): NodeSummary[] {
  const zones = ['extranet', 'gov-cloud', 'county', 'township'];
  return Array.from({ length: n }, (_, i) =>
    node(`node-${String(i).padStart(5, '0')}`, {
      zone: zones[i % zones.length]!,
      site: `测试县乡镇${i % 97}号站点`,
      up: i % 37 !== 0,
      lastSeenAgeSeconds: i % 300,
      devices: i % 3 ? { up: 2 - (i % 7 === 0 ? 1 : 0), total: 2 } : null,
      linksDown: i % 3 ? i % 5 : null,
      ipv6: { lossV6: (i % 11) / 100, lossV4: (i % 13) / 200, websiteRate: i % 4 ? 0.8 + (i % 20) / 100 : null },
      mlpsScore: i % 2 ? 60 + (i % 40) : null,
      activeAlerts: i % 17 === 0 ? 1 : 0,
    }),
  );
}

/** The peer: every row rendered as its own Text in a clipped box, re-rendered on each key. */
function NaiveTable({ rows }: { rows: NodeSummary[] }) {
  const [cursor, setCursor] = useState(0);
  useInput((input, key) => {
    if (key.downArrow || input === 'j') setCursor((c) => Math.min(rows.length - 1, c + 1));
  });
  const cols = nodeColumns(L, 120);
  const widths = layout(cols, 118);
  return createElement(
    Box,
    { flexDirection: 'column', height: 38, overflow: 'hidden' },
    rows.map((r, i) =>
      createElement(Text, { key: r.id, inverse: i === cursor, wrap: 'truncate' }, `${i === cursor ? '>' : ' '} ${renderRow(cols, widths, r)}`),
    ),
  );
}

type Inst = ReturnType<typeof render>;

interface Marks {
  frames: number[];
  /** process CPU time (user + system, µs) at each frame */
  cpu: number[];
  /** resolves the press waiting for the next frame (no polling: waiting costs no CPU) */
  waiter?: () => void;
}

const cpuNow = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

function instrument(r: Inst): Marks {
  const out: Marks = { frames: [], cpu: [] };
  const write = r.stdout.write;
  r.stdout.write = (f: string) => {
    out.frames.push(performance.now());
    out.cpu.push(cpuNow());
    write(f);
    const w = out.waiter;
    out.waiter = undefined;
    w?.();
  };
  Object.defineProperty(r.stdout, 'columns', { value: 120, configurable: true });
  Object.defineProperty(r.stdout, 'rows', { value: 40, configurable: true });
  r.stdout.emit('resize');
  return out;
}

async function settle(): Promise<void> {
  await new Promise((res) => setTimeout(res, 30));
}

/** Press `key` and wait for the frame it causes: wall ms from the write to ink's frame, and the CPU ms spent. */
async function press(r: Inst, m: Marks, key: string): Promise<{ wall: number; cpu: number }> {
  const frame = new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no frame after ${JSON.stringify(key)}`)), 10_000);
    m.waiter = () => {
      clearTimeout(t);
      resolve();
    };
  });
  const c0 = cpuNow();
  const t0 = performance.now();
  r.stdin.write(key);
  await frame;
  const t = { wall: m.frames[m.frames.length - 1]! - t0, cpu: (m.cpu[m.cpu.length - 1]! - c0) / 1000 };
  await settle();
  return t;
}

function stats(ps: { wall: number; cpu: number }[]): string {
  return `wall ${q3(ps.map((p) => p.wall))} · CPU ${q3(ps.map((p) => p.cpu))}  (n=${ps.length})`;
}

function q3(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `p50 ${q(0.5).toFixed(1)} / p95 ${q(0.95).toFixed(1)} / max ${s[s.length - 1]!.toFixed(1)} ms`;
}

async function main(): Promise<void> {
  const rows = fleet(NODES);
  const api = new MemoryApi();
  api.nodes = rows;
  const r = render(createElement(App, { api, lang: 'zh', color: true, refreshMs: 3_600_000, now: () => FIXED }));
  const m = instrument(r);
  for (let i = 0; i < 500 && !(r.lastFrame() ?? '').includes('node-0'); i++) await new Promise((res) => setTimeout(res, 10));
  await settle();
  const results: [string, { wall: number; cpu: number }[]][] = [];
  const run = async (name: string, keys: string[]) => {
    const ts: { wall: number; cpu: number }[] = [];
    for (let i = 0; i < ROUNDS; i++) for (const k of keys) ts.push(await press(r, m, k));
    results.push([name, ts]);
  };
  await run('↓ (j)', ['j']);
  await run('PgDn / PgUp', ['\u001b[6~', '\u001b[5~']);
  await run('G / g (last / first)', ['G', 'g']);
  await run('s (re-sort 2,000 rows)', ['s']);
  await run('z (zone filter)', ['z']);
  await run('/ type, esc (text filter)', ['/', '1', '\u001b']);
  r.unmount();

  const naive = render(createElement(NaiveTable, { rows }));
  const nm = instrument(naive);
  await settle();
  const nts: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < Math.min(ROUNDS, 3); i++) nts.push(await press(naive, nm, 'j'));
  naive.unmount();

  process.stdout.write(`bench:tui — ${NODES} nodes, 120×40, key press → redrawn frame (ink 6, unthrottled)\n`);
  for (const [name, ts] of results) process.stdout.write(`  xunjian tui  ${name.padEnd(28)} ${stats(ts)}\n`);
  process.stdout.write(`  naive table  ${'↓ (j)'.padEnd(28)} ${stats(nts)}\n`);
  const down = results[0]![1];
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(0.95 * xs.length))]!;
  process.stdout.write(`  ratio ↓ median CPU (tui / naive, lower is better): ${(med(down.map((p) => p.cpu)) / med(nts.map((p) => p.cpu))).toFixed(3)}\n`);
  const worstWall = Math.max(...results.map(([, ts]) => p95(ts.map((p) => p.wall))));
  const worstCpu = Math.max(...results.map(([, ts]) => p95(ts.map((p) => p.cpu))));
  process.stdout.write(
    `  goal p95 < 100 ms on every key: wall ${worstWall < 100 ? 'met' : 'NOT met'} (worst p95 ${worstWall.toFixed(1)} ms), CPU ${worstCpu < 100 ? 'met' : 'NOT met'} (worst p95 ${worstCpu.toFixed(1)} ms)\n`,
  );

  process.stdout.write(`bench:tui — ${NODES} nodes through a pty (script), 120×40, zh-CN, colour: key written → changed frame out of the pty\n`);
  const pty = await ptyBench(NODES, PTY_ROUNDS);
  for (const r of pty)
    process.stdout.write(
      `  xunjian tui  ${r.name.padEnd(30)} wall ${q3(r.ms)}${r.cpuMean === null ? '' : ` · TUI CPU mean ${r.cpuMean.toFixed(1)} ms`}  (n=${r.ms.length})\n`,
    );
  const keyed = pty.filter((r) => !r.name.includes('its data'));
  const worstPty = Math.max(...keyed.map((r) => p95(r.ms)));
  process.stdout.write(`  goal p95 < 100 ms on every key through the pty: ${worstPty < 100 ? 'met' : 'NOT met'} (worst p95 ${worstPty.toFixed(1)} ms)\n`);
  process.stdout.write(
    `  load average ${(await import('node:os'))
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} (wall time includes waiting for a core on a shared machine)\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
