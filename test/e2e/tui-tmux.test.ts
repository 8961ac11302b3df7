import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strWidth } from '../../tui/width.js';
import { BIN, ROOT, type Running, listeningUrl, start, waitFor, xunjian } from '../helpers/proc.js';
import { type Peer, startSnmpsim } from '../helpers/snmp-peers.js';

/**
 * `xunjian tui` end to end: the real collector and three agents as processes on loopback (one polling a
 * simulated Huawei switch, snmpsimd over udp6; a rule that fires on it), the TUI in a real terminal (tmux, 80×24) with an API
 * token from `xunjian collector api-token create`, keys sent with send-keys, the screen read back with
 * capture-pane.
 */
const TMUX = '/usr/bin/tmux';
const dir = mkdtempSync(join(tmpdir(), 'xj-tui-e2e-'));
const socket = `xj-tui-${process.pid}`;
let apiToken = '';
const tokenFile = join(dir, 'api.token');
let sim: Peer;
const running: Running[] = [];
let base = '';
let ccfg = '';
let collector: Running;
const agents: Record<string, Running> = {};

const tmux = (...args: string[]) => execFileSync(TMUX, ['-L', socket, ...args], { encoding: 'utf8' });
const screen = (session: string, escapes = false) => tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', session);
const keys = async (session: string, ...ks: string[]) => {
  for (const k of ks) {
    tmux('send-keys', '-t', session, k);
    await new Promise((r) => setTimeout(r, 150));
  }
};
const text = (session: string, s: string) => tmux('send-keys', '-t', session, '-l', s);

async function until(session: string, pred: (s: string) => boolean, what: string, ms = 30_000): Promise<string> {
  let last = '';
  return waitFor(
    async () => {
      last = screen(session);
      return pred(last) && last;
    },
    ms,
    what,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n--- screen:\n${last}\n--- collector:\n${collector?.output()}`);
  });
}

async function get(path: string): Promise<unknown> {
  const r = await request(base + path, { headers: { authorization: `Bearer ${apiToken}` } });
  if (r.statusCode !== 200) throw new Error(`${path}: HTTP ${r.statusCode}`);
  return r.body.json();
}

function openTui(session: string, env: Record<string, string>, cols = 80, rows = 24): void {
  const vars = Object.entries({ TERM: 'xterm-256color', ...env })
    .map(([k, v]) => `${k}='${v}'`)
    .join(' ');
  const cmd = `env ${vars} '${process.execPath}' '${BIN}' tui --collector ${base} --token-file '${tokenFile}' --refresh 1; echo EXIT=$?; sleep 60`;
  tmux('new-session', '-d', '-s', session, '-x', String(cols), '-y', String(rows), cmd);
}

const NODES = [
  { id: 'town-01', site: '测试县政务外网中心', zone: 'extranet' },
  { id: 'county-core', site: '县级汇聚', zone: 'extranet' },
  { id: 'cloud-a', site: 'city-gov-cloud', zone: 'gov-cloud' },
];

function startAgent(id: string): Running {
  const a = start(['agent', '-c', join(dir, `${id}.yaml`)]);
  running.push(a);
  agents[id] = a;
  return a;
}

beforeAll(async () => {
  ccfg = join(dir, 'collector.yaml');
  const rulesFile = join(dir, 'tui-e2e.rules.yaml');
  writeFileSync(
    rulesFile,
    [
      'groups:',
      '  - name: tui-e2e',
      '    interval: 1s',
      '    rules:',
      '      - alert: TuiE2eLoad',
      '        expr: node_load1{node="county-core"} >= 0',
      '        labels: { severity: critical, category: network }',
      '        annotations: { summary: "load on {{ $labels.node }}" }',
      '',
    ].join('\n'),
  );
  writeFileSync(
    ccfg,
    `listen: 127.0.0.1:0\ndataDir: ${join(dir, 'collector-data')}\nlog: { level: info }\nrules: { builtin: false, files: [${rulesFile}], evaluationInterval: 1s }\n`,
  );
  // the Huawei recording with moving counters (snmpsimd's numeric variation, linear in time):
  // sysUpTime 100 ticks/s (polled every 10 s); GE0/0/1 (1 Gbit/s) 12.5 MB/s in (100 Mbit/s, 10 %), 1.25 MB/s out (10 Mbit/s,
  // 1 %), 2 input errors/s; GE0/0/2 (admin up, oper down) keeps its counters
  const rec = join(dir, 'huawei-moving.snmprec');
  writeFileSync(
    rec,
    readFileSync(`${ROOT}agent/sources/snmp/testdata/huawei.snmprec`, 'utf8')
      .replace(/^1\.3\.6\.1\.2\.1\.1\.3\.0\|67\|.*$/m, '1.3.6.1.2.1.1.3.0|67:numeric|rate=100,initial=123456789')
      .replace(/^1\.3\.6\.1\.2\.1\.31\.1\.1\.1\.6\.10\|70\|.*$/m, '1.3.6.1.2.1.31.1.1.1.6.10|70:numeric|rate=12500000,initial=1000000')
      .replace(/^1\.3\.6\.1\.2\.1\.31\.1\.1\.1\.10\.10\|70\|.*$/m, '1.3.6.1.2.1.31.1.1.1.10.10|70:numeric|rate=1250000,initial=123456789012345')
      .replace(/^1\.3\.6\.1\.2\.1\.2\.2\.1\.14\.10\|65\|.*$/m, '1.3.6.1.2.1.2.2.1.14.10|65:numeric|rate=2,initial=3'),
  );
  expect(readFileSync(rec, 'utf8').match(/:numeric\|/g)).toHaveLength(4);
  sim = await startSnmpsim({ 'tui-e2e-ro': rec });
  const api = xunjian(['collector', 'api-token', 'create', 'tui-admin', '--role', 'security', '--out', tokenFile, '-c', ccfg]);
  expect(api.code).toBe(0);
  apiToken = readFileSync(tokenFile, 'utf8').trim();
  expect(apiToken.length).toBeGreaterThan(20);
  // port 0: the collector picks a free port and logs it; the config then names that port, so the
  // collector comes back on the same URL when the test restarts it
  collector = start(['collector', '-c', ccfg]);
  running.push(collector);
  base = await listeningUrl(collector.output);
  writeFileSync(ccfg, readFileSync(ccfg, 'utf8').replace('listen: 127.0.0.1:0', `listen: ${base.replace('http://', '')}`));
  for (const n of NODES) {
    const t = xunjian(['collector', 'token', 'create', n.id, '-c', ccfg]);
    expect(t.code).toBe(0);
    writeFileSync(join(dir, `${n.id}.token`), t.stdout);
    writeFileSync(
      join(dir, `${n.id}.yaml`),
      [
        `node: { id: ${n.id}, site: ${n.site}, zone: ${n.zone}, grade: 3 }`,
        `collector: { url: ${base}, tokenFile: ${join(dir, `${n.id}.token`)} }`,
        'report: { intervalSeconds: 1 }',
        'sources:',
        '  host: { intervalSeconds: 5 }',
        '  posture: { enabled: false }',
        ...(n.id === 'county-core'
          ? [
              '  snmp:',
              '    credentials: { lab: { version: "2c", community: tui-e2e-ro } }',
              `    targets: [ { name: core-sw1, address: "udp6://[::1]:${sim.port}", credential: lab, intervalSeconds: 10 } ]`,
            ]
          : []),
        `dataDir: ${join(dir, `${n.id}-data`)}`,
        'log: { level: warn }',
        '',
      ].join('\n'),
    );
  }
  await waitFor(() => get('/healthz'), 60_000, 'collector /healthz');
  for (const n of NODES) startAgent(n.id);
  await waitFor(async () => ((await get('/api/v1/nodes')) as { nodes: unknown[] }).nodes.length === 3, 90_000, 'three nodes reporting').catch((err: Error) => {
    throw new Error(
      `${err.message}\n${Object.entries(agents)
        .map(([id, a]) => `--- ${id}:\n${a.output()}`)
        .join('\n')}\n--- collector:\n${collector.output()}`,
    );
  });
}, 240_000);

afterAll(async () => {
  try {
    tmux('kill-server');
  } catch {
    // no server left
  }
  for (const r of running) await r.stop('SIGKILL');
  await sim?.stop();
});

describe('xunjian tui in a terminal (tmux 80×24)', () => {
  it('shows the fleet and devices, filters, opens a node, helps, follows a node going down, claims an alert (API, audit log), survives the collector going away, resizes, quits', async () => {
    const s = 'zh';
    openTui(s, { LANG: 'zh_CN.UTF-8' });
    let sc = await until(s, (x) => x.includes('3/3 在线') && x.includes('cloud-a'), 'the fleet');
    expect(sc.split('\n')[1]).toMatch(/^\[1 节点\] 2 设备 {2}3 告警 +显示 3\/3 · 区域: 全部 · 排序: 状态$/);
    // sorted by node id (s: next sort column) for a fixed order
    await keys(s, 's');
    sc = await until(s, (x) => x.includes('排序: 节点'), 'sorted by node');
    const ls = sc.split('\n');
    expect(ls[0]).toMatch(new RegExp(`^巡检 · 127\\.0\\.0\\.1:${base.split(':')[2]} · 正常 v\\d+\\.\\d+\\.\\d+ · 3/3 在线 +\\d\\d:\\d\\d:\\d\\d$`));
    expect(ls[2]).toMatch(/^ {2}节点 +区域 +站点 +等级 状态 +上报 +设备 断链 IPv6 +测评 告警$/);
    const rows = ls.slice(3, 6);
    expect(rows.map((l) => l.slice(2).split(' ')[0])).toEqual(['cloud-a', 'county-core', 'town-01']);
    for (const l of ls) expect(strWidth(l)).toBeLessThanOrEqual(80);
    // CJK sites: the zone and state columns start at the same screen column on every row
    const col = (l: string, re: RegExp) => strWidth(l.slice(0, l.search(re)));
    expect(new Set(rows.map((l) => col(l, / (extranet|gov-cloud) /))).size).toBe(1);
    expect(new Set(rows.map((l) => col(l, / (在线|异常|告警|离线) /))).size).toBe(1);
    expect(sc).toMatch(/> cloud-a .* 3 在线 /);
    expect(ls[22]).toBe('↑↓ 移动  ⏎ 打开  / 筛选  z 区域  s 排序  1-3 切换  r 刷新  ? 帮助  q 退出');
    expect(sc).not.toContain(apiToken);

    // the simulated switch: answered (1/1) on the node that polls it, listed on Devices with its vendor and firmware
    sc = await until(s, (x) => /county-core .* 1\/1 /.test(x), 'the polled device in the summary', 30_000);
    await keys(s, '2');
    sc = await until(s, (x) => x.includes('core-sw1'), 'the Devices screen', 120_000).catch(async (err: Error) => {
      const facts = await get('/api/v1/nodes/county-core/facts').catch((e: Error) => e.message);
      throw new Error(
        `${err.message}\n--- devices: ${JSON.stringify(await get('/api/v1/devices'))}\n--- facts: ${JSON.stringify(facts).slice(0, 2000)}\n--- agent:\n${agents['county-core']!.output()}`,
      );
    });
    expect(sc.split('\n')[1]).toMatch(/^ 1 节点 \[2 设备\] 3 告警 +显示 1$/);
    expect(sc).toMatch(/^> core-sw1 +county-core-… county-core +huawei +V200R011C10S… 在线 +–$/m);
    await keys(s, '3');
    await until(s, (x) => x.includes('· 级别: 全部 · 类别: 全部'), 'the Alerts screen');
    await keys(s, '1');
    await until(s, (x) => x.includes('[1 节点]'), 'back on Nodes');

    // zone filter: all → extranet → gov-cloud → all
    await keys(s, 'z');
    sc = await until(s, (x) => x.includes('显示 2/3 · 区域: extranet'), 'zone extranet');
    expect(sc).not.toContain('cloud-a');
    await keys(s, 'z');
    sc = await until(s, (x) => x.includes('显示 1/3 · 区域: gov-cloud'), 'zone gov-cloud');
    await keys(s, 'z');
    await until(s, (x) => x.includes('显示 3/3 · 区域: 全部'), 'all zones');

    // text filter
    await keys(s, '/');
    text(s, '汇聚');
    await keys(s, 'Enter');
    sc = await until(s, (x) => x.includes('显示 1/3') && x.includes('筛选: 汇聚'), 'the text filter');
    expect(sc).toMatch(/> county-core /);
    await keys(s, 'Escape');
    await until(s, (x) => x.includes('显示 3/3'), 'the filter cleared');

    // open town-01 (third row): identity and the inventory the agent sent
    await keys(s, 'j', 'j', 'Enter');
    sc = await until(s, (x) => x.includes('节点详情: town-01') && x.includes('hostname:'), 'the node detail');
    expect(sc).toContain('节点: town-01   区域: extranet   站点: 测试县政务外网中心   等级: 3');
    expect(sc).toContain(`hostname: ${hostname()}`);
    await keys(s, 'Escape');
    await until(s, (x) => /> town-01 /.test(x), 'back on the list, town-01 selected');

    // open county-core: the simulated switch and its interfaces, with the rates the agent derived
    // from two polls (status, speed, in/out bps, utilization, errors per second)
    type Ifs = {
      devices: { target: string; up: boolean; interfacesDown: number; interfaces: { ifName: string; operStatus: string; inBps: number | null }[] }[];
    };
    const ifsOf = () => get('/api/v1/nodes/county-core/interfaces') as Promise<Ifs>;
    // two polls 10 s apart give the rates
    await waitFor(async () => (await ifsOf()).devices[0]?.interfaces.every((i) => i.inBps !== null), 60_000, 'the rates of both ports').catch(
      async (err: Error) => {
        throw new Error(`${err.message}\n--- API: ${JSON.stringify(await ifsOf())}\n--- agent:\n${agents['county-core']!.output()}`);
      },
    );
    await keys(s, 'k', 'Enter');
    await until(s, (x) => x.includes('节点详情: county-core') && x.includes('hostname:'), 'the county-core detail');
    const down2 = '    ✗ GE0/0/2        断开   启用     1G       0       0   0.0%   0.0%       0';
    const ge1Row = /^ {6}GE0\/0\/1 +正常 +启用 +1G +([\d.]+)M +([\d.]+)M +([\d.]+)% +([\d.]+)% +([\d.]+)$/m;
    // the recording's rates within 10 %: the agent divides by the device's own sysUpTime, read in the
    // first request of a poll, so a counter read later in the same poll is off by the time between
    // them (a real device is the same): a few ms, but under load (CI) a late or retried request
    // shifts it by seconds and that pair of polls is off by as much (1.78 errors/s seen). The wait
    // takes the first pair that is not (the next poll is 10 s later); a rate that is wrong every
    // time never passes. Utilization is exactly the rate over the 1 Gbit/s link.
    const within = (m: RegExpMatchArray) => {
      const [inM, outM, inPct, outPct, errs] = m.slice(1).map(Number) as [number, number, number, number, number];
      return [
        Math.abs(inM - 100) <= 10,
        Math.abs(outM - 10) <= 1,
        Math.abs(inPct - inM / 10) <= 0.051,
        Math.abs(outPct - outM / 10) <= 0.051,
        Math.abs(errs - 2) <= 0.2,
      ];
    };
    // scroll one line at a time until the last port is on screen (the device line and the table header above it)
    for (let i = 0; i < 60 && !screen(s).includes('    ✗ GE0/0/2 '); i++) await keys(s, 'j');
    sc = await until(
      s,
      (x) => {
        const m = x.match(ge1Row);
        return x.split('\n').includes(down2) && m !== null && within(m).every(Boolean);
      },
      "the interfaces with the recording's rates",
      90_000,
    ).catch(async (err: Error) => {
      throw new Error(
        `${err.message}\n--- API: ${JSON.stringify(await get('/api/v1/nodes/county-core/interfaces'))}\n--- agent:\n${agents['county-core']!.output()}`,
      );
    });
    const ls2 = sc.split('\n');
    for (const l of ls2) expect(strWidth(l)).toBeLessThanOrEqual(80);
    expect(sc).toMatch(/^ {2}core-sw1 .* 在线 断口 1\/2$/m);
    const hdr = ls2.findIndex((l) => l.startsWith('      接口 '));
    expect(ls2[hdr]).toBe('      接口           运行   管理   速率  入流量  出流量    入%    出%  错包/s');
    const ge1 = ls2[hdr + 1]!.match(ge1Row);
    // the row the wait matched is the first under the header
    expect(ge1, `${ls2[hdr + 1]}\n${JSON.stringify(await ifsOf())}`).not.toBeNull();
    expect(ls2[hdr + 2]).toBe(down2);
    // the same from the route (viewer role)
    const api = await ifsOf();
    expect(api.devices.map((d) => [d.target, d.up, d.interfacesDown, d.interfaces.map((i) => [i.ifName, i.operStatus])])).toEqual([
      [
        'core-sw1',
        true,
        1,
        [
          ['GE0/0/1', 'up'],
          ['GE0/0/2', 'down'],
        ],
      ],
    ]);
    expect(Math.abs(api.devices[0]!.interfaces[0]!.inBps! - 1e8)).toBeLessThanOrEqual(1e7);
    await keys(s, 'Escape');
    await until(s, (x) => /> county-core /.test(x), 'back on the list, county-core selected');
    await keys(s, 'j');
    await until(s, (x) => /> town-01 /.test(x), 'town-01 selected again');

    // help
    await keys(s, '?');
    sc = await until(s, (x) => x.includes('按任意键关闭帮助'), 'the help');
    expect(sc).toContain('c / a / x    告警页：认领 / 确认 / 静默 2 小时（先确认）');
    await keys(s, 'x');
    await until(s, (x) => x.includes('cloud-a') && !x.includes('按任意键关闭帮助'), 'the help closed');

    // an agent stops: after 3 missed intervals its node is down, sorted first
    await agents['town-01']!.stop('SIGTERM');
    sc = await until(s, (x) => /^. town-01 .* 离线 /m.test(x) && x.includes('2/3 在线'), 'town-01 down');

    // an alert (a rule on county-core's load, always true) is claimed from the Alerts screen (asked first),
    // and the claim is seen by the collector's API and audit log
    await keys(s, '3');
    sc = await until(s, (x) => x.includes('TuiE2eLoad'), 'the alert', 60_000);
    expect(sc).toMatch(/^> critical +TuiE2eLoad +county-core +network +触发 /m);
    await keys(s, 'c');
    await until(s, (x) => x.includes('确认认领 TuiE2eLoad @ county-core？y 是，n 否'), 'the confirmation');
    await keys(s, 'y');
    await until(s, (x) => x.includes('认领 TuiE2eLoad: 完成'), 'the claim done');
    sc = await until(s, (x) => /TuiE2eLoad .* tui-admin/.test(x), 'the claim on screen');
    const active = (await get('/api/v1/alerts/active?state=all')) as {
      alerts: { fingerprint: string; labels: Record<string, string>; claim?: { by: string } }[];
    };
    const mine = active.alerts.find((a) => a.labels.alertname === 'TuiE2eLoad')!;
    expect([mine.labels.node, mine.claim?.by]).toEqual(['county-core', 'tui-admin']);
    const audit = (await get('/api/v1/audit?action=alert.claim')) as { entries: { actor: string; target: string; outcome: string }[] };
    expect(audit.entries.map((e) => [e.actor, e.target, e.outcome])).toEqual([['tui-admin', mine.fingerprint, 'success']]);
    // the Nodes screen counts it
    await keys(s, '1');
    sc = await until(s, (x) => /^. county-core .* 告警 .* 1$/m.test(x), 'the alert counted on county-core');

    // the collector goes away: shown, last data kept, retried; back: recovered
    await collector.stop('SIGTERM');
    sc = await until(s, (x) => x.includes('无法连接, 重试中'), 'the collector away');
    expect(sc.split('\n')[0]).toMatch(/^巡检 · 127\.0\.0\.1:\d+ · 无法连接, 重试中 · 数据时间 \d\d:\d\d:\d\d \(ECONNRE/);
    expect(sc).toContain('county-core');
    collector = start(['collector', '-c', ccfg]);
    running.push(collector);
    await until(s, (x) => x.includes('· 正常 v'), 'the collector back', 60_000);

    // resize: wider terminal shows the IPv6 figures, back to 80 hides them
    tmux('resize-window', '-t', s, '-x', '120', '-y', '30');
    sc = await until(s, (x) => x.includes('丢包 v6/v4'), 'the wide layout');
    expect(sc.split('\n')[28]).toMatch(/^↑↓ 移动/);
    tmux('resize-window', '-t', s, '-x', '80', '-y', '24');
    await until(s, (x) => !x.includes('丢包 v6/v4') && x.split('\n')[22]!.startsWith('↑↓ 移动'), 'the narrow layout');

    // q quits with status 0 and gives the shell screen back
    await keys(s, 'q');
    sc = await until(s, (x) => x.includes('EXIT=0'), 'the exit');
    expect(sc).not.toContain('节点详情');
    expect(sc).not.toContain(apiToken);
  }, 420_000);

  it('English labels; colour on a terminal, none with NO_COLOR', async () => {
    openTui('en', { LANG: 'en_US.UTF-8' });
    openTui('mono', { LANG: 'en_US.UTF-8', NO_COLOR: '1' });
    const en = await until('en', (x) => x.includes('county-core') && x.includes(' up'), 'the English fleet');
    expect(en.split('\n')[2]).toMatch(/^ {2}node +zone +site +MLPS state +seen +devs lnk↓ IPv6 +score alrt$/);
    await until('mono', (x) => x.includes('county-core'), 'the NO_COLOR fleet');
    // SGR colour codes (30-37, 90-97 foreground) appear with colour only
    const sgr = /\u001b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7])(?:;[0-9;]*)?m/;
    expect(screen('en', true)).toMatch(sgr);
    expect(screen('mono', true)).not.toMatch(sgr);
    // the same words either way
    expect(screen('mono').split('\n')[2]).toBe(en.split('\n')[2]);
  }, 120_000);
});
