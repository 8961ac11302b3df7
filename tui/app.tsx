import { Spinner } from '@inkjs/ui';
import { Box, type Key, Text, useApp, useInput, useStdout } from 'ink';
import { type ReactNode, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { DeviceInterfaces } from '../collector/api/interfaces.js';
import type { NodeSummary } from '../collector/api/summary.js';
import type { Api, Compliance, Failure, Fleet, Health, NodeFacts, Result } from './client.js';
import { detailLines } from './detail.js';
import { type Lang, labels } from './i18n.js';
import {
  type AlertView,
  type DeviceView,
  type NodeQuery,
  SORT_KEYS,
  alertColumns,
  clamp,
  clock,
  cycle,
  deviceColumns,
  nextZone,
  nodeColumns,
  nodeState,
  scrollOffset,
  selectAlerts,
  selectDevices,
  selectNodes,
  spread,
  zonesOf,
} from './model.js';
import { Table } from './table.js';
import { padTo } from './width.js';

const hostOf = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

export type Screen = 'nodes' | 'devices' | 'alerts' | 'detail';
type ListScreen = 'nodes' | 'devices' | 'alerts';

export interface AppProps {
  api: Api;
  lang: Lang;
  /** false: no colour attributes at all (NO_COLOR, not a terminal); state stays readable as text. */
  color: boolean;
  /** Refresh interval while the collector answers, ms. */
  refreshMs?: number;
  /** Retry interval while it does not, ms. */
  retryMs?: number;
  now?: () => number;
  /** Silence duration for `x`, ms (default 2 h). */
  silenceMs?: number;
}

/** Terminal size, following resizes (80×24 when unknown). */
function useSize(): { cols: number; rows: number } {
  const { stdout } = useStdout();
  const read = useCallback(() => ({ cols: Math.max(40, stdout.columns || 80), rows: Math.max(10, stdout.rows || 24) }), [stdout]);
  const [size, setSize] = useState(read);
  useEffect(() => {
    const on = () => setSize(read());
    stdout.on('resize', on);
    return () => {
      stdout.off('resize', on);
    };
  }, [stdout, read]);
  return size;
}

/** What one refresh loads, by what is on screen. */
interface Want {
  devices: boolean;
  alerts: boolean;
  facts: string | undefined;
}

interface Loaded {
  fleet: Result<{ health: Health; fleet: Fleet }> | null;
  devices: Result<DeviceView[]> | null;
  alerts: Result<AlertView[]> | null;
  facts: {
    id: string;
    res: Result<NodeFacts>;
    compliance: Result<Compliance>;
    alerts: Result<AlertView[]>;
    interfaces: Result<DeviceInterfaces[]>;
  } | null;
}

/**
 * The refresh loop: loads the fleet and health, plus devices/alerts/facts when the screen shows them,
 * every `okMs` (every `failMs` while the collector fails). `kick(want)` refreshes now (a key changed the
 * screen, or `r`): driven by calls, not by effects, so a key press loads at once.
 */
function usePoller(api: Api, okMs: number, failMs: number) {
  const [loaded, setLoaded] = useState<Loaded>({ fleet: null, devices: null, alerts: null, facts: null });
  const loop = useRef<{ timer?: NodeJS.Timeout; stopped: boolean; running: boolean; again: boolean; want: Want }>({
    stopped: false,
    running: false,
    again: false,
    want: { devices: false, alerts: false, facts: undefined },
  });
  const run = useCallback(async () => {
    const l = loop.current;
    if (l.stopped) return;
    if (l.running) {
      l.again = true;
      return;
    }
    l.running = true;
    clearTimeout(l.timer);
    const w = l.want;
    const [h, f, d, a, fx, cx, ax, ix] = await Promise.all([
      api.health(),
      api.fleet(),
      w.devices ? api.devices() : undefined,
      w.alerts ? api.alerts() : undefined,
      w.facts !== undefined ? api.facts(w.facts) : undefined,
      w.facts !== undefined ? api.compliance(w.facts) : undefined,
      w.facts !== undefined ? api.nodeAlerts(w.facts) : undefined,
      w.facts !== undefined ? api.interfaces(w.facts) : undefined,
    ]);
    l.running = false;
    if (l.stopped) return;
    const fleet: Loaded['fleet'] = !h.ok ? h : !f.ok ? f : { ok: true, value: { health: h.value, fleet: f.value } };
    setLoaded((p) => ({
      fleet,
      devices: d ?? p.devices,
      alerts: a ?? p.alerts,
      facts: fx && cx && ax && ix && w.facts !== undefined ? { id: w.facts, res: fx, compliance: cx, alerts: ax, interfaces: ix } : p.facts,
    }));
    if (l.again) {
      l.again = false;
      void run();
      return;
    }
    l.timer = setTimeout(() => void run(), fleet.ok ? okMs : failMs);
  }, [api, okMs, failMs]);
  useEffect(() => {
    const l = loop.current;
    l.stopped = false;
    void run();
    return () => {
      l.stopped = true;
      clearTimeout(l.timer);
    };
  }, [run]);
  const kick = useCallback(
    (want: Want) => {
      loop.current.want = want;
      void run();
    },
    [run],
  );
  return { loaded, kick };
}

interface Confirm {
  action: 'claim' | 'ack' | 'silence';
  alert: AlertView;
}

export function App(props: AppProps) {
  const { api, lang, color } = props;
  const L = labels(lang);
  const now = props.now ?? Date.now;
  const refreshMs = props.refreshMs ?? 5000;
  const retryMs = props.retryMs ?? 2000;
  const { exit } = useApp();
  const { cols, rows } = useSize();

  const [screen, setScreen] = useState<Screen>('nodes');
  const [back, setBack] = useState<ListScreen>('nodes');
  const [help, setHelp] = useState(false);
  const [filtering, setFiltering] = useState(false);
  const [tick, setTick] = useState(now());
  const [query, setQuery] = useState<NodeQuery>({ text: '', zone: null, sort: 'state', desc: false });
  const [devText, setDevText] = useState('');
  const [alertText, setAlertText] = useState('');
  const [alertFilter, setAlertFilter] = useState<{ severity: string | null; category: string | null; showResolved: boolean }>({
    severity: null,
    category: null,
    showResolved: false,
  });
  /** Per list: cursor, first row shown, and the selected row's key (the selection follows its row when a refresh re-sorts). */
  const [pos, setPos] = useState<Record<ListScreen, { cursor: number; offset: number; id?: string }>>({
    nodes: { cursor: 0, offset: 0 },
    devices: { cursor: 0, offset: 0 },
    alerts: { cursor: 0, offset: 0 },
  });
  const [detail, setDetail] = useState<{ id: string; scroll: number } | null>(null);
  const [confirm, setConfirm] = useState<Confirm | null>(null);
  const filterText = screen === 'nodes' ? query.text : screen === 'devices' ? devText : screen === 'alerts' ? alertText : '';
  const [flash, setFlash] = useState<string | null>(null);

  const { loaded, kick } = usePoller(api, refreshMs, retryMs);
  // The last good fleet stays shown while the collector is away.
  const fleetRes = loaded.fleet;
  const lastGood = useRef<{ fleet: Fleet; health: Health; at: number } | null>(null);
  if (fleetRes?.ok && lastGood.current?.fleet !== fleetRes.value.fleet) lastGood.current = { ...fleetRes.value, at: now() };
  const fleet = lastGood.current?.fleet ?? null;
  const devicesRes = loaded.devices;
  const alertsRes = loaded.alerts;
  const detailId = detail?.id;
  const facts = detailId !== undefined && loaded.facts?.id === detailId ? loaded.facts.res : null;
  const compliance = detailId !== undefined && loaded.facts?.id === detailId ? loaded.facts.compliance : null;
  const nodeAlerts = detailId !== undefined && loaded.facts?.id === detailId ? loaded.facts.alerts : null;
  const interfaces = detailId !== undefined && loaded.facts?.id === detailId ? loaded.facts.interfaces : null;

  useEffect(() => {
    const t = setInterval(() => setTick(now()), 1000);
    return () => clearInterval(t);
  }, [now]);

  /** Show a screen and load what it needs now. */
  const go = (to: Screen, node?: string) => {
    setScreen(to);
    kick({ devices: to === 'devices' || to === 'detail', alerts: to === 'alerts' || to === 'detail', facts: to === 'detail' ? node : undefined });
  };
  const refresh = () =>
    kick({
      devices: screen === 'devices' || screen === 'detail',
      alerts: screen === 'alerts' || screen === 'detail',
      facts: screen === 'detail' ? detailId : undefined,
    });

  const allNodes: readonly NodeSummary[] = fleet?.nodes ?? [];
  const nodes = useMemo(() => selectNodes(allNodes, query), [allNodes, query]);
  const zones = useMemo(() => zonesOf(allNodes), [allNodes]);
  const devices = useMemo(() => (devicesRes?.ok ? selectDevices(devicesRes.value, devText) : []), [devicesRes, devText]);
  const alerts = useMemo(() => (alertsRes?.ok ? selectAlerts(alertsRes.value, { text: alertText, ...alertFilter }) : []), [alertsRes, alertText, alertFilter]);
  const severities = useMemo(() => (alertsRes?.ok ? [...new Set(alertsRes.value.map((a) => a.severity).filter(Boolean))].sort() : []), [alertsRes]);
  const categories = useMemo(() => (alertsRes?.ok ? [...new Set(alertsRes.value.map((a) => a.category).filter(Boolean))].sort() : []), [alertsRes]);

  // Frame: header, tabs/status, table header, body, footer — one line fewer than the terminal so that
  // ink never falls back to clearing the screen (no flicker).
  const bodyHeight = Math.max(1, rows - 1 - 4);
  const counts: Record<ListScreen, number> = { nodes: nodes.length, devices: devices.length, alerts: alerts.length };
  const listScreen: ListScreen | null = screen === 'detail' ? null : screen;

  const keyAt = (s: ListScreen, i: number): string | undefined => {
    if (s === 'nodes') return nodes[i]?.id;
    if (s === 'alerts') return alerts[i]?.fingerprint;
    const d = devices[i];
    return d && `${d.node}/${d.name}`;
  };
  const find = (s: ListScreen, id: string): number =>
    s === 'nodes'
      ? nodes.findIndex((n) => n.id === id)
      : s === 'alerts'
        ? alerts.findIndex((a) => a.fingerprint === id)
        : devices.findIndex((d) => `${d.node}/${d.name}` === id);
  /** Where a list's cursor and window are in this render: on the selected row, wherever a refresh moved it. */
  const view = (s: ListScreen): { cursor: number; offset: number } => {
    const p = pos[s];
    let cursor = p.cursor;
    if (p.id !== undefined && keyAt(s, cursor) !== p.id) {
      const i = find(s, p.id);
      if (i >= 0) cursor = i;
    }
    cursor = clamp(cursor, counts[s]);
    return { cursor, offset: scrollOffset(p.offset, cursor, bodyHeight, counts[s]) };
  };
  const move = (s: ListScreen, to: (cursor: number) => number) => {
    const v = view(s);
    const total = counts[s];
    const cursor = clamp(to(v.cursor), total);
    setPos((p) => ({ ...p, [s]: { cursor, offset: scrollOffset(v.offset, cursor, bodyHeight, total), id: keyAt(s, cursor) } }));
  };
  const resetPos = (s: ListScreen) => setPos((p) => ({ ...p, [s]: { cursor: 0, offset: 0 } }));

  const openNode = (id: string | undefined, from: ListScreen) => {
    if (!id) return;
    setBack(from);
    setDetail({ id, scroll: 0 });
    go('detail', id);
  };

  const runAction = async (c: Confirm) => {
    const what = c.action === 'claim' ? L.claim : c.action === 'ack' ? L.ack : L.silence;
    let r: Result<unknown>;
    if (c.action === 'claim') r = await api.claim(c.alert.fingerprint);
    else if (c.action === 'ack') r = await api.ack(c.alert.fingerprint);
    else {
      const start = now();
      const q = (v: string) => JSON.stringify(v);
      r = await api.silence({
        matchers: [`alertname=${q(c.alert.name)}`, ...(c.alert.node ? [`node=${q(c.alert.node)}`] : [])],
        endsAt: new Date(start + (props.silenceMs ?? 7_200_000)).toISOString(),
        comment: `silenced from xunjian tui: ${c.alert.name}${c.alert.node ? ` on ${c.alert.node}` : ''}`,
      });
    }
    setFlash(`${what} ${c.alert.name}: ${r.ok ? L.done : failureText(r)}`);
    refresh();
  };

  const failureText = (f: Failure) => (f.kind === 'unavailable' ? L.notAvailable : f.kind === 'forbidden' ? L.forbidden : f.message);

  const onKey = (input: string, key: Key) => {
    // Keys typed ahead arrive as one chunk ("j\r"): outside the filter, take them one at a time, each
    // after the render of the one before.
    const chars = [...input];
    if (!filtering && chars.length > 1 && !key.ctrl && !key.meta) {
      const [first, ...rest] = chars;
      onKey(first === '\r' ? '' : first!, { ...key, return: first === '\r' });
      // the rest after the render of this one (an effect), so each sees the state the one before made
      ahead.current = { chars: [...rest, ...(ahead.current?.chars ?? [])], key: { ...key, return: false } };
      setAheadTick((t) => t + 1);
      return;
    }
    if (input === '\r') return onKey('', { ...key, return: true });
    if (help) {
      setHelp(false);
      return;
    }
    if (confirm) {
      if (input === 'y' || input === 'Y') void runAction(confirm);
      setConfirm(null);
      return;
    }
    if (filtering) {
      // The filter's own line editor (a third-party input subscribes in an effect and can miss the first key).
      if (key.escape) {
        setFiltering(false);
        onFilterChange('');
      } else if (key.return) setFiltering(false);
      else if (key.backspace || key.delete) onFilterChange([...filterText].slice(0, -1).join(''));
      else if (input && !key.ctrl && !key.meta && !key.tab && !key.upArrow && !key.downArrow) onFilterChange(filterText + input);
      return;
    }
    setFlash(null);
    if (input === 'q') return exit();
    if (input === '?') return setHelp(true);
    if (input === 'r') return refresh();
    if (input === '1' || input === '2' || input === '3') return go((['nodes', 'devices', 'alerts'] as const)[Number(input) - 1]!);
    if (key.tab) return go(screen === 'nodes' ? 'devices' : screen === 'devices' ? 'alerts' : 'nodes');
    if (screen === 'detail') {
      const total = detailText.length;
      const maxScroll = Math.max(0, total - bodyHeight - 1);
      if (key.escape || key.backspace || key.leftArrow) return go(back);
      // from where the screen is (a refresh may have shortened the text under a scrolled view)
      const to = (f: (scroll: number) => number) => setDetail((d) => d && { ...d, scroll: Math.max(0, Math.min(maxScroll, f(Math.min(maxScroll, d.scroll)))) });
      if (key.upArrow || input === 'k') to((x) => x - 1);
      if (key.downArrow || input === 'j') to((x) => x + 1);
      if (key.pageDown || input === ' ') to((x) => x + bodyHeight);
      if (key.pageUp) to((x) => x - bodyHeight);
      if (input === 'g' || key.home) to(() => 0);
      if (input === 'G' || key.end) to(() => maxScroll);
      return;
    }
    const s = screen;
    if (key.upArrow || input === 'k') return move(s, (c) => c - 1);
    if (key.downArrow || input === 'j') return move(s, (c) => c + 1);
    if (key.pageUp) return move(s, (c) => c - bodyHeight);
    if (key.pageDown || input === ' ') return move(s, (c) => c + bodyHeight);
    if (input === 'g' || key.home) return move(s, () => 0);
    if (input === 'G' || key.end) return move(s, () => counts[s] - 1);
    if (input === '/') return setFiltering(true);
    if (key.escape) {
      if (s === 'nodes') setQuery((q) => ({ ...q, text: '', zone: null }));
      if (s === 'devices') setDevText('');
      if (s === 'alerts') setAlertText('');
      return resetPos(s);
    }
    const cur = view(s).cursor;
    if (s === 'nodes') {
      if (key.return) return openNode(nodes[cur]?.id, 'nodes');
      if (input === 'z') {
        setQuery((q) => ({ ...q, zone: nextZone(zones, q.zone) }));
        return resetPos(s);
      }
      if (input === 's') return setQuery((q) => ({ ...q, sort: SORT_KEYS[(SORT_KEYS.indexOf(q.sort) + 1) % SORT_KEYS.length]!, desc: false }));
      if (input === 'S') return setQuery((q) => ({ ...q, desc: !q.desc }));
    }
    if (s === 'devices' && key.return) return openNode(devices[cur]?.node, 'devices');
    if (s === 'alerts') {
      const a = alerts[cur];
      if (key.return) return openNode(a?.node, 'alerts');
      if (input === 'v') {
        setAlertFilter((f) => ({ ...f, severity: cycle(severities, f.severity) }));
        return resetPos(s);
      }
      if (input === 't') {
        setAlertFilter((f) => ({ ...f, category: cycle(categories, f.category) }));
        return resetPos(s);
      }
      if (input === 'h') {
        setAlertFilter((f) => ({ ...f, showResolved: !f.showResolved }));
        return resetPos(s);
      }
      if (a && (input === 'c' || input === 'a' || input === 'x'))
        return setConfirm({ action: input === 'c' ? 'claim' : input === 'a' ? 'ack' : 'silence', alert: a });
    }
  };
  // ink re-subscribes a new handler in an effect, which may run only after the next key: keep one
  // stable handler that calls the latest render's.
  const keyRef = useRef(onKey);
  keyRef.current = onKey;
  const ahead = useRef<{ chars: string[]; key: Key } | null>(null);
  const [aheadTick, setAheadTick] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs once per typed-ahead key, after the render of the key before
  useEffect(() => {
    const a = ahead.current;
    const next = a?.chars.shift();
    if (!a || next === undefined) return;
    if (a.chars.length === 0) ahead.current = null;
    keyRef.current(next === '\r' ? '' : next, { ...a.key, return: next === '\r' });
    if (ahead.current) setAheadTick((t) => t + 1);
  }, [aheadTick]);
  useInput(useCallback((input: string, key: Key) => keyRef.current(input, key), []));

  function onFilterChange(v: string) {
    if (screen === 'nodes') setQuery((q) => ({ ...q, text: v }));
    else if (screen === 'devices') setDevText(v);
    else if (screen === 'alerts') setAlertText(v);
    if (listScreen) resetPos(listScreen);
  }

  // ---- header
  const good = lastGood.current;
  const down = fleetRes && !fleetRes.ok ? fleetRes : null;
  const upCount = allNodes.filter((n) => n.up).length;
  const healthText = down
    ? `${L.unreachable}, ${L.retrying}${good ? ` · ${L.lastData} ${clock(good.at)}` : ''} (${down.kind === 'unreachable' ? down.message : failureText(down)})`
    : good
      ? `${L.healthy}${good.health.version ? ` v${good.health.version}` : ''} · ${upCount}/${allNodes.length} ${L.nodesUp}`
      : `${L.collector} ${L.loading}`;
  const headerLeft = `${L.title} · ${hostOf(api.url)} · ${healthText}`;
  const header = spread(headerLeft, clock(tick), cols);

  // ---- tabs and status
  const tab = (s: ListScreen, n: number) => (screen === s || (screen === 'detail' && back === s) ? `[${n} ${L.screens[s]}]` : ` ${n} ${L.screens[s]} `);
  const tabs = `${tab('nodes', 1)}${tab('devices', 2)}${tab('alerts', 3)}`;
  let status = '';
  if (screen === 'nodes') {
    status = `${L.showing} ${nodes.length}/${allNodes.length} · ${L.zone}: ${query.zone ?? L.all} · ${L.sort}: ${L.col[query.sort]}${query.desc ? ' ↓' : ''}${query.text ? ` · ${L.filter}: ${query.text}` : ''}`;
  } else if (screen === 'devices') status = `${L.showing} ${devices.length}${devText ? ` · ${L.filter}: ${devText}` : ''}`;
  else if (screen === 'alerts') {
    status = `${L.showing} ${alerts.length} · ${L.severity}: ${alertFilter.severity ?? L.all} · ${L.category}: ${alertFilter.category ?? L.all}${alertFilter.showResolved ? ` · ${L.resolvedShown}` : ''}${alertText ? ` · ${L.filter}: ${alertText}` : ''}`;
  } else status = `${L.screens.detail}: ${detail?.id ?? ''}`;

  // ---- body
  const detailText = useMemo(
    () =>
      detailId !== undefined
        ? detailLines(
            {
              id: detailId,
              node: allNodes.find((n) => n.id === detailId),
              facts,
              compliance,
              devices: devicesRes,
              interfaces,
              alerts: nodeAlerts ?? alertsRes,
            },
            L,
          )
        : [],
    [detailId, allNodes, facts, compliance, interfaces, nodeAlerts, devicesRes, alertsRes, L],
  );

  let body: ReactNode;
  const stateColor = (r: NodeSummary) => {
    const s = nodeState(r);
    return s === 'down' ? 'red' : s === 'alert' ? 'magenta' : s === 'degraded' ? 'yellow' : undefined;
  };
  const blank = (n: number, first?: string) => (
    <Box flexDirection="column">
      {Array.from({ length: n }, (_, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: fixed padding lines
        <Text key={i}>{i === 0 && first ? padTo(first, cols) : ' '}</Text>
      ))}
    </Box>
  );
  if (help) {
    const lines = [`${L.title} — ?`, ...L.help.map(([k, v]) => `  ${padTo(k, 12)} ${v}`)];
    body = (
      <Box flexDirection="column">
        {Array.from({ length: bodyHeight + 1 }, (_, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: fixed lines
          <Text key={i} wrap="truncate">
            {lines[i] || ' '}
          </Text>
        ))}
      </Box>
    );
  } else if (screen === 'nodes') {
    body = fleet ? (
      <Table
        columns={nodeColumns(L, cols)}
        rows={nodes}
        cursor={view('nodes').cursor}
        offset={view('nodes').offset}
        height={bodyHeight}
        width={cols}
        color={color}
        colorOf={stateColor}
        empty={L.noNodes}
      />
    ) : (
      <Box flexDirection="column" height={bodyHeight + 1}>
        {down ? <Text>{`  ${L.collector} ${L.unreachable}`}</Text> : <Spinner label={L.loading} />}
      </Box>
    );
  } else if (screen === 'devices' || screen === 'alerts') {
    const res = screen === 'devices' ? devicesRes : alertsRes;
    if (res === null) body = blank(bodyHeight + 1, `  ${L.loading}`);
    else if (!res.ok) body = blank(bodyHeight + 1, `  ${failureText(res)}`);
    else if (screen === 'devices')
      body = (
        <Table
          columns={deviceColumns(L)}
          rows={devices}
          cursor={view('devices').cursor}
          offset={view('devices').offset}
          height={bodyHeight}
          width={cols}
          color={color}
          colorOf={(d) => (d.up === false ? 'red' : (d.interfacesDown ?? 0) > 0 ? 'yellow' : undefined)}
          empty="–"
        />
      );
    else
      body = (
        <Table
          columns={alertColumns(L, tick)}
          rows={alerts}
          cursor={view('alerts').cursor}
          offset={view('alerts').offset}
          height={bodyHeight}
          width={cols}
          color={color}
          colorOf={(a) => (a.state === 'resolved' ? 'gray' : a.severity === 'critical' ? 'red' : a.severity === 'warning' ? 'yellow' : undefined)}
          empty="–"
        />
      );
  } else {
    const scroll = Math.min(detail?.scroll ?? 0, Math.max(0, detailText.length - bodyHeight - 1));
    body = (
      <Box flexDirection="column">
        {Array.from({ length: bodyHeight + 1 }, (_, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: fixed lines
          <Text key={i} wrap="truncate" color={color && /^ {2,4}✗ /.test(detailText[scroll + i] ?? '') ? 'red' : undefined}>
            {detailText[scroll + i] || ' '}
          </Text>
        ))}
      </Box>
    );
  }

  // ---- footer
  let footer: ReactNode;
  if (confirm) {
    const what = confirm.action === 'claim' ? L.claim : confirm.action === 'ack' ? L.ack : L.silence;
    footer = (
      <Text color={color ? 'cyan' : undefined} wrap="truncate">
        {padTo(L.confirm(`${what} ${confirm.alert.name}${confirm.alert.node ? ` @ ${confirm.alert.node}` : ''}`), cols)}
      </Text>
    );
  } else if (filtering) {
    footer = (
      <Text wrap="truncate">
        {`${L.filter}: ${filterText}`}
        <Text inverse> </Text>
        {`  ${L.footer.filter}`}
      </Text>
    );
  } else {
    const keys = help ? L.footer.help : L.footer[screen];
    footer = <Text wrap="truncate">{padTo(flash ?? keys, cols)}</Text>;
  }

  return (
    <Box flexDirection="column" width={cols} height={rows - 1}>
      <Text color={color ? (down ? 'red' : 'cyan') : undefined} bold={color} wrap="truncate">
        {header}
      </Text>
      <Text wrap="truncate">{spread(tabs, status, cols)}</Text>
      <Box flexDirection="column" height={bodyHeight + 1}>
        {body}
      </Box>
      {footer}
    </Box>
  );
}
