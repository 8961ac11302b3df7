import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../test/helpers/proc.js';
import { App, type AppProps } from './app.js';
import { langFromEnv } from './i18n.js';
import type { AlertView } from './model.js';
import { MemoryApi, node } from './testdata.js';
import { strWidth } from './width.js';

/** Component tests: the App rendered by ink-testing-library, keys written to its stdin, frames asserted. */
const NOW = Date.UTC(2026, 11, 3, 8, 0, 0);
const KEY = { up: '\u001b[A', down: '\u001b[B', enter: '\r', esc: '\u001b', pageDown: '\u001b[6~' };
let current: ReturnType<typeof render> | undefined;
afterEach(() => {
  current?.unmount();
  current = undefined;
});

function fleet(): MemoryApi {
  const api = new MemoryApi();
  api.nodes = [
    node('town-01', { site: '测试县政务外网', zone: 'extranet', devices: { up: 2, total: 2 }, linksDown: 0 }),
    node('town-02', { site: '测试县', zone: 'extranet', up: false, lastSeenAgeSeconds: 600 }),
    node('cloud-a', { site: '市政务云', zone: 'gov-cloud', linksDown: 2, devices: { up: 1, total: 2 }, ipv6: { lossV6: 0.2, lossV4: 0, websiteRate: 0.75 } }),
    node('village-七', { site: '七村', zone: 'extranet', activeAlerts: 1, mlpsScore: 82.4 }),
  ];
  api.factsOf['town-01'] = {
    sentAt: NOW,
    facts: { 'host.inventory': { hostname: 'town-01-gw', cpus: 4, os: { distro: 'Debian GNU/Linux', kernel: '6.1.0' } } },
  };
  return api;
}

async function until(r: ReturnType<typeof render>, pred: (frame: string) => boolean, what: string): Promise<string> {
  const hit = await waitFor(
    () => {
      const f = r.lastFrame() ?? '';
      return pred(f) && { f };
    },
    5000,
    `a frame showing ${what}`,
    10,
  ).catch((err: Error) => {
    throw new Error(`${err.message}:\n${r.lastFrame()}`);
  });
  return hit.f;
}

async function open(api: MemoryApi, over: Partial<AppProps> = {}) {
  const r = render(createElement(App, { api, lang: 'en', color: false, refreshMs: 60_000, retryMs: 30, now: () => NOW, ...over }));
  current = r;
  await until(r, (f) => f.includes('town-01') || f.includes('unreachable') || f.includes('无法连接'), 'the first data');
  return r;
}

/** Write keys, then wait for the frame they cause (up to 1 s: a key may change nothing) and let it settle. */
async function press(r: ReturnType<typeof render>, keys: string) {
  const before = r.frames.length;
  r.stdin.write(keys);
  for (let i = 0; i < 100 && r.frames.length === before; i++) await new Promise((res) => setTimeout(res, 10));
  await new Promise((res) => setTimeout(res, 30));
}

function resize(r: ReturnType<typeof render>, columns: number, rows = 24) {
  Object.defineProperty(r.stdout, 'columns', { value: columns, configurable: true });
  Object.defineProperty(r.stdout, 'rows', { value: rows, configurable: true });
  r.stdout.emit('resize');
}

const lines = (f: string) => f.split('\n');
const selected = (f: string) => lines(f).find((l) => l.startsWith('> '));

describe('Nodes', () => {
  it('shows header, tabs, the table sorted by state (down, alert, degraded, ok), footer; a frame of rows − 1 lines', async () => {
    const r = await open(fleet());
    const f = r.lastFrame()!;
    const ls = lines(f);
    expect(ls).toHaveLength(23);
    expect(ls[0]).toMatch(/^Xunjian · collector\.test:9700 · ok v0\.1\.0 · 3\/4 up +\d\d:\d\d:\d\d$/);
    expect(ls[1]).toMatch(/^\[1 Nodes\] 2 Devices {2}3 Alerts +showing 4\/4 · zone: all · sort: state$/);
    expect(ls[2]).toMatch(/^ {2}node +zone +site +MLPS state +seen +devs lnk↓ IPv6 +score alrt$/);
    expect(ls[3]).toMatch(/^> town-02 /);
    expect(ls[4]).toMatch(/^ {2}village-七 /);
    expect(ls[5]).toMatch(/^ {2}cloud-a /);
    expect(ls[6]).toMatch(/^ {2}town-01 /);
    expect(ls[3]).toContain('DOWN');
    expect(ls[3]).toContain('10m');
    expect(ls[4]).toMatch(/alert .* 82 +1$/);
    expect(ls[5]).toMatch(/warn .* 1\/2 +2 v6 loss/);
    expect(ls[6]).toMatch(/up .* 2\/2 +0 –/);
    expect(ls[22]).toBe('↑↓ move  ⏎ open  / filter  z zone  s sort  1-3 screens  r refresh  ? help  q quit');
  });

  it('moves the selection with ↓ ↑ j k, G and g', async () => {
    const r = await open(fleet());
    expect(selected(r.lastFrame()!)).toContain('town-02');
    await press(r, KEY.down);
    expect(selected(r.lastFrame()!)).toContain('village-七');
    await press(r, 'j');
    expect(selected(r.lastFrame()!)).toContain('cloud-a');
    await press(r, 'G');
    expect(selected(r.lastFrame()!)).toContain('town-01');
    await press(r, KEY.down);
    expect(selected(r.lastFrame()!)).toContain('town-01');
    await press(r, 'k');
    expect(selected(r.lastFrame()!)).toContain('cloud-a');
    await press(r, 'g');
    expect(selected(r.lastFrame()!)).toContain('town-02');
  });

  it('keeps the selection on its node when a refresh re-sorts the list', async () => {
    const api = fleet();
    const r = await open(api);
    await press(r, 'G');
    expect(lines(r.lastFrame()!)[6]).toMatch(/^> town-01 /);
    api.nodes = api.nodes.map((n) => (n.id === 'town-01' ? { ...n, up: false } : n));
    await press(r, 'r');
    const f = await until(r, (x) => x.includes('2/4 up'), 'the refresh');
    expect(lines(f)[3]).toMatch(/^> town-01 /);
    expect(selected(f)).toContain('town-01');
    await press(r, KEY.down);
    expect(selected(r.lastFrame()!)).toMatch(/^> town-02 /);
  });

  it('takes keys typed ahead in one chunk one at a time', async () => {
    const r = await open(fleet());
    await press(r, 'jj\r');
    await until(r, (x) => lines(x)[1]!.endsWith('Node: cloud-a'), 'cloud-a opened');
  });

  it('filters by text as typed (⏎ keeps it, esc clears it) and by zone with z', async () => {
    const r = await open(fleet());
    await press(r, '/');
    expect(lines(r.lastFrame()!)[22]).toMatch(/^filter:/);
    await press(r, '测试');
    let f = await until(r, (x) => x.includes('showing 2/4'), 'the filtered count');
    expect(f).toContain('town-01');
    expect(f).toContain('town-02');
    expect(f).not.toContain('cloud-a');
    await press(r, KEY.enter);
    f = r.lastFrame()!;
    expect(lines(f)[1]).toContain('filter: 测试');
    expect(lines(f)[22]).toMatch(/^↑↓ move/);
    await press(r, KEY.esc);
    f = r.lastFrame()!;
    expect(lines(f)[1]).toContain('showing 4/4');
    await press(r, 'z');
    f = r.lastFrame()!;
    expect(lines(f)[1]).toContain('showing 3/4 · zone: extranet');
    expect(f).not.toContain('cloud-a');
    await press(r, 'z');
    expect(lines(r.lastFrame()!)[1]).toContain('showing 1/4 · zone: gov-cloud');
    await press(r, 'z');
    expect(lines(r.lastFrame()!)[1]).toContain('showing 4/4 · zone: all');
  });

  it('sorts by the next column with s and reverses with S', async () => {
    const r = await open(fleet());
    await press(r, 's');
    let f = r.lastFrame()!;
    expect(lines(f)[1]).toContain('sort: node');
    expect(lines(f)[3]).toMatch(/^> cloud-a/);
    await press(r, 'S');
    f = r.lastFrame()!;
    expect(lines(f)[1]).toContain('sort: node ↓');
    expect(lines(f)[3]).toMatch(/^> village-七/);
  });

  it('opens a node (⏎): identity, inventory from its facts; esc goes back', async () => {
    const r = await open(fleet());
    await press(r, 'G');
    await press(r, KEY.enter);
    const f = await until(r, (x) => x.includes('hostname: town-01-gw'), 'the inventory');
    expect(lines(f)[1]).toMatch(/^\[1 Nodes\].*Node: town-01$/);
    expect(f).toContain('node: town-01   zone: extranet   site: 测试县政务外网   MLPS: 3');
    expect(f).toContain('os.kernel: 6.1.0');
    expect(f).toContain('cpus: 4');
    expect(lines(f)[22]).toBe('↑↓ scroll  esc back  ? help  q quit');
    await press(r, KEY.esc);
    expect(selected(r.lastFrame()!)).toContain('town-01');
  });

  it("the node's failing MLPS checks (zh: title, evidence, remediation within 80 columns); a role too low says so", async () => {
    const api = fleet();
    api.complianceOf['town-01'] = {
      ok: true,
      value: {
        score: { passed: 40, failed: 1 },
        failing: [
          {
            check: 'host.ident.uid0',
            clause: '8.1.4.1 a',
            title: { zh: '除 root 外无 UID 为 0 的账户', en: 'No account other than root has UID 0' },
            evidence: 'host.posture.accounts.uid0 = ["root","toor"] (/etc/passwd:30: toor:x:0:0:toor:/root:/bin/bash)',
            remediation: {
              zh: '删除或改号多余的 UID 0 账户（userdel toor），并复核 /etc/passwd 中的所有特权账户及其登录外壳配置',
              en: 'Remove extra UID 0 accounts',
            },
          },
        ],
      },
    };
    const r = await open(api, { lang: 'zh' });
    resize(r, 80);
    await press(r, 'G');
    await press(r, KEY.enter);
    await until(r, (x) => x.includes('hostname: town-01-gw'), 'the inventory');
    await press(r, KEY.pageDown);
    const f = await until(r, (x) => x.includes('不符合项: 1'), 'the failing checks');
    const ls = lines(f);
    for (const l of ls) expect(strWidth(l)).toBeLessThanOrEqual(80);
    const at = ls.findIndex((l) => l.includes('不符合项: 1'));
    expect(ls.slice(at, at + 4)).toEqual([
      '  不符合项: 1   (40 / 41)',
      '  ✗ host.ident.uid0 8.1.4.1 a 除 root 外无 UID 为 0 的账户',
      '      证据: host.posture.accounts.uid0 = ["root","toor"] (/etc/passwd:30: toor:…',
      '      整改: 删除或改号多余的 UID 0 账户（userdel toor），并复核 /etc/passwd 中…',
    ]);

    api.complianceOf['town-01'] = { ok: false, kind: 'forbidden', message: 'role does not allow' };
    await press(r, 'r');
    await until(r, (x) => x.includes('令牌角色无此权限 (security)') && !x.includes('不符合项'), 'the refusal');
  });

  it("the node's devices and interfaces (zh at 80 columns: status, speed, bps, utilization, errors), scrolled; refreshed", async () => {
    const api = fleet();
    api.devicesList = {
      ok: true,
      value: [{ node: 'town-01', name: 'core-sw1', address: 'udp6://[::1]:161', vendor: 'huawei', firmware: 'VRP V200R011', up: true, interfacesDown: 1 }],
    };
    const ifRow = (i: number) => ({
      ifIndex: String(i),
      ifName: `GE0/0/${i}`,
      ifDescr: `GigabitEthernet0/0/${i}`,
      ifAlias: '',
      adminStatus: 'up' as const,
      operStatus: i === 2 ? ('down' as const) : ('up' as const),
      down: i === 2,
      speedBps: 1e9,
      inBps: i * 1e7,
      outBps: 1e6,
      inUtilization: i / 100,
      outUtilization: 0.001,
      inErrorsPerSecond: i === 3 ? 4 : 0,
      outErrorsPerSecond: 0,
      inDiscardsPerSecond: null,
      outDiscardsPerSecond: null,
    });
    // a 48-port switch: far longer than the screen
    api.interfacesOf['town-01'] = {
      ok: true,
      value: [{ target: 'core-sw1', up: true, interfacesDown: 1, interfaces: Array.from({ length: 48 }, (_, i) => ifRow(i + 1)) }],
    };
    const r = await open(api, { lang: 'zh' });
    resize(r, 80);
    await press(r, 'G');
    await press(r, KEY.enter);
    let f = await until(r, (x) => x.includes('GE0/0/1 ') && x.includes('hostname: town-01-gw'), 'the interfaces');
    let ls = lines(f);
    expect(ls).toHaveLength(23);
    for (const l of ls) expect(strWidth(l)).toBeLessThanOrEqual(80);
    const at = ls.findIndex((l) => l.startsWith('  core-sw1 '));
    expect(ls.slice(at, at + 5)).toEqual([
      '  core-sw1 udp6://[::1]:161 huawei VRP V200R011 在线 断口 1/48',
      '      接口           运行   管理   速率  入流量  出流量    入%    出%  错包/s',
      '      GE0/0/1        正常   启用     1G   10.0M    1.0M   1.0%   0.1%       0',
      '    ✗ GE0/0/2        断开   启用     1G   20.0M    1.0M   2.0%   0.1%       0',
      '      GE0/0/3        正常   启用     1G   30.0M    1.0M   3.0%   0.1%    4.00',
    ]);
    // only the visible lines are drawn: the last port is further down, reached by scrolling
    expect(f).not.toContain('GE0/0/48');
    for (let i = 0; i < 3; i++) await press(r, KEY.pageDown);
    f = await until(r, (x) => x.includes('GE0/0/48'), 'the last port');
    ls = lines(f);
    expect(ls).toHaveLength(23);
    expect(ls.find((l) => l.includes('GE0/0/48'))).toBe('      GE0/0/48       正常   启用     1G  480.0M    1.0M  48.0%   0.1%       0');
    // the next refresh shows the port back up
    api.interfacesOf['town-01'] = { ok: true, value: [{ target: 'core-sw1', up: true, interfacesDown: 0, interfaces: [ifRow(1)] }] };
    await press(r, 'r');
    await press(r, 'g');
    await until(r, (x) => x.includes('断口 0/1') && !x.includes('GE0/0/2'), 'the refreshed interfaces');
  });

  it('? shows the full help, any key closes it; q quits', async () => {
    const r = await open(fleet());
    await press(r, '?');
    let f = r.lastFrame()!;
    expect(f).toContain('c / a / x    Alerts: claim / acknowledge / silence 2 h (asks first)');
    expect(lines(f)[22]).toBe('any key closes the help');
    await press(r, 'x');
    f = r.lastFrame()!;
    expect(f).not.toContain('Alerts: claim');
    expect(f).toContain('town-01');
    await press(r, 'q');
    const frames = r.frames.length;
    await press(r, '?');
    await press(r, KEY.down);
    expect(r.frames.length).toBe(frames);
    expect(r.lastFrame()).not.toContain('any key closes the help');
  });

  it('keeps CJK columns aligned at 80 columns (zh labels), and follows resizes', async () => {
    const r = await open(fleet(), { lang: 'zh' });
    resize(r, 80);
    let f = await until(r, (x) => strWidth(lines(x)[0]!) === 80, 'an 80-column frame');
    const ls = lines(f);
    for (const l of ls) expect(strWidth(l)).toBeLessThanOrEqual(80);
    expect(ls[2]).toMatch(/^ {2}节点 +区域 +站点 +等级 状态 +上报 +设备 断链 IPv6 +测评 告警$/);
    const rows = ls.slice(3, 7);
    // every row: the zone, state and devices columns start at the same display column
    const col = (l: string, re: RegExp) => strWidth(l.slice(0, l.search(re)));
    expect(new Set(rows.map((l) => col(l, / (extranet|gov-cloud) /))).size).toBe(1);
    expect(new Set(rows.map((l) => col(l, / (离线|告警|异常|在线) /))).size).toBe(1);
    expect(rows.map((l) => strWidth(l))).toEqual([80, 80, 80, 80]);
    expect(f).toContain('测试县…');
    expect(f).not.toContain('丢包 v6/v4');
    resize(r, 120, 30);
    f = await until(r, (x) => x.includes('丢包 v6/v4'), 'the wide IPv6 columns');
    expect(lines(f)).toHaveLength(29);
    expect(f).toMatch(/cloud-a .* 20%\/0% +75%/);
    resize(r, 80, 24);
    f = await until(r, (x) => !x.includes('丢包 v6/v4'), 'the narrow layout');
    expect(lines(f)).toHaveLength(23);
  });

  it('scrolls 2,000 nodes rendering only the visible rows', async () => {
    const api = new MemoryApi();
    api.nodes = Array.from({ length: 2000 }, (_, i) => node(`n-${String(i).padStart(4, '0')}`));
    const r = render(createElement(App, { api, lang: 'en', color: false, refreshMs: 60_000, now: () => NOW }));
    current = r;
    await until(r, (f) => f.includes('n-0000'), 'the first page');
    let f = r.lastFrame()!;
    expect(lines(f)).toHaveLength(23);
    expect(lines(f)[3]).toMatch(/^> n-0000/);
    expect(lines(f)[21]).toMatch(/^ {2}n-0018/);
    await press(r, KEY.pageDown);
    f = r.lastFrame()!;
    expect(selected(f)).toMatch(/^> n-0019/);
    await press(r, 'G');
    f = r.lastFrame()!;
    expect(lines(f)).toHaveLength(23);
    expect(lines(f)[21]).toMatch(/^> n-1999/);
    expect(lines(f)[3]).toMatch(/^ {2}n-1981/);
    expect(lines(f)[1]).toContain('showing 2000/2000');
  });
});

describe('the collector going away', () => {
  it('shows it in the header, keeps the last data, retries, and recovers', async () => {
    const api = fleet();
    const r = await open(api);
    api.down = true;
    await press(r, 'r');
    let f = await until(r, (x) => x.includes('unreachable'), 'unreachable');
    expect(lines(f)[0]).toMatch(/^Xunjian · collector\.test:9700 · unreachable, retrying · data from \d\d:\d\d:\d\d \(ECONNREFUSED\) +\d\d:\d\d:\d\d$/);
    expect(f).toContain('town-01');
    const calls = api.fleetCalls;
    await until(r, () => api.fleetCalls >= calls + 2, 'retries');
    api.down = false;
    f = await until(r, (x) => x.includes('· ok v0.1.0'), 'recovery');
    expect(f).toContain('3/4 up');
  });

  it('before any data: says so instead of a table', async () => {
    const api = fleet();
    api.down = true;
    const r = await open(api);
    const f = r.lastFrame()!;
    expect(lines(f)[0]).toContain('unreachable, retrying (ECONNREFUSED)');
    expect(lines(f)[2]).toBe('  collector unreachable');
  });
});

describe('Devices and Alerts', () => {
  const alert = (fingerprint: string, over: Partial<AlertView> = {}): AlertView => ({
    fingerprint,
    name: 'NodeDown',
    severity: 'critical',
    category: 'availability',
    node: 'town-02',
    state: 'firing',
    summary: 'node down',
    startsAt: NOW - 120_000,
    ...over,
  });

  it('Devices on a collector without the route: not available', async () => {
    const r = await open(fleet());
    await press(r, '2');
    const f = await until(r, (x) => x.includes('not available on this collector'), 'the message');
    expect(lines(f)[1]).toMatch(/^ 1 Nodes \[2 Devices\] 3 Alerts/);
  });

  it('Devices listed; ⏎ opens the device’s node', async () => {
    const api = fleet();
    api.devicesList = {
      ok: true,
      value: [{ node: 'town-01', name: 'core-sw1', address: 'udp6://[::1]:161', vendor: 'huawei', firmware: 'VRP V200R011', up: true, interfacesDown: 1 }],
    };
    const r = await open(api);
    await press(r, '2');
    const f = await until(r, (x) => x.includes('core-sw1'), 'the device');
    expect(f).toMatch(/> core-sw1 +udp6:\/\/\[::1\]:161 +town-01 +huawei +VRP V200R011 +up +1$/m);
    await press(r, KEY.enter);
    await until(r, (x) => x.includes('Node: town-01') && x.includes('core-sw1 udp6://[::1]:161 huawei'), 'the node with its device');
  });

  it('Alerts: filters by severity and category, shows resolved with h', async () => {
    const api = fleet();
    api.alertsList = {
      ok: true,
      value: [
        alert('a1'),
        alert('a2', { name: 'V6LossHigh', severity: 'warning', category: 'ipv6', node: 'cloud-a' }),
        alert('a3', { name: 'LinkDown', state: 'resolved' }),
      ],
    };
    const r = await open(api);
    await press(r, '3');
    let f = await until(r, (x) => x.includes('NodeDown'), 'alerts');
    expect(lines(f)[1]).toContain('showing 2 · severity: all · category: all');
    expect(f).toMatch(/> critical +NodeDown +town-02 +availab… firing +2m +–/);
    await press(r, 'v');
    f = r.lastFrame()!;
    expect(lines(f)[1]).toContain('showing 1 · severity: critical');
    await press(r, 'v');
    expect(lines(r.lastFrame()!)[1]).toContain('showing 1 · severity: warning');
    await press(r, 'v');
    await press(r, 't');
    expect(lines(r.lastFrame()!)[1]).toContain('showing 1 · severity: all · category: availability');
    await press(r, 't');
    await press(r, 't');
    await press(r, 'h');
    f = r.lastFrame()!;
    expect(lines(f)[1]).toContain('showing 3 · severity: all · category: all · resolved shown');
    expect(f).toMatch(/LinkDown .* resolved/);
  });

  it('claim asks first (n cancels, y claims), then acknowledges and silences', async () => {
    const api = fleet();
    api.alertsList = { ok: true, value: [alert('fp-1')] };
    const r = await open(api);
    await press(r, '3');
    await until(r, (x) => x.includes('NodeDown'), 'alerts');
    await press(r, 'c');
    expect(lines(r.lastFrame()!)[22]).toBe('claim NodeDown @ town-02? y = yes, n = no');
    await press(r, 'n');
    expect(api.actions).toEqual([]);
    await press(r, 'c');
    await press(r, 'y');
    let f = await until(r, (x) => x.includes('claim NodeDown: done'), 'the outcome');
    expect(api.actions).toEqual([{ action: 'claim', arg: 'fp-1' }]);
    await press(r, 'a');
    await press(r, 'y');
    f = await until(r, (x) => x.includes('acknowledge NodeDown: done'), 'the ack');
    await press(r, 'x');
    expect(lines(r.lastFrame()!)[22]).toBe('silence 2h NodeDown @ town-02? y = yes, n = no');
    await press(r, 'y');
    f = await until(r, (x) => x.includes('silence 2h NodeDown: done'), 'the silence');
    expect(f).toBeTruthy();
    expect(api.actions[2]).toEqual({
      action: 'silence',
      arg: {
        matchers: ['alertname="NodeDown"', 'node="town-02"'],
        endsAt: '2026-12-03T10:00:00.000Z',
        comment: 'silenced from xunjian tui: NodeDown on town-02',
      },
    });
  });

  it('a role that may not claim: says so (zh)', async () => {
    const api = fleet();
    api.alertsList = { ok: true, value: [alert('fp-1')] };
    api.actionResult = { ok: false, kind: 'forbidden', message: 'role viewer' };
    const r = await open(api, { lang: 'zh' });
    await press(r, '3');
    await until(r, (x) => x.includes('NodeDown'), 'alerts');
    await press(r, 'c');
    expect(lines(r.lastFrame()!)[22]).toBe('确认认领 NodeDown @ town-02？y 是，n 否');
    await press(r, 'y');
    await until(r, (x) => x.includes('认领 NodeDown: 令牌角色无此权限'), 'the refusal');
  });
});

describe('language', () => {
  it.each([
    [{ LANG: 'zh_CN.UTF-8' }, 'zh'],
    [{ LANG: 'en_US.UTF-8' }, 'en'],
    [{ LANG: 'zh_CN.UTF-8', LC_ALL: 'C' }, 'en'],
    [{ LC_MESSAGES: 'zh_TW.UTF-8', LANG: 'en_US.UTF-8' }, 'zh'],
    [{}, 'en'],
  ])('%j → %s', (env, lang) => {
    expect(langFromEnv(env)).toBe(lang);
  });
});
