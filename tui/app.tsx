import { Spinner, TextInput } from '@inkjs/ui';
import { Box, Text, useApp, useInput, useStdout } from 'ink';
import { type ReactNode, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { NodeSummary } from '../collector/api/summary.js';
import type { Api, Failure, Fleet, Health, NodeFacts, Result } from './client.js';
import { detailLines } from './detail.js';
import { type Lang, labels } from './i18n.js';
import {
  type AlertView,
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

/** Call `load` now and again every `okMs` (every `failMs` after a failure) while `active`; `nonce` restarts it. */
function usePoll<T>(active: boolean, load: () => Promise<Result<T>>, okMs: number, failMs: number, nonce: number): Result<T> | null {
  const [res, setRes] = useState<Result<T> | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new nonce restarts the loop (refresh now)
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const tick = async () => {
      const r = await load();
      if (stopped) return;
      setRes(r);
      timer = setTimeout(tick, r.ok ? okMs : failMs);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [active, load, okMs, failMs, nonce]);
  return res;
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
  const [nonce, setNonce] = useState(0);
  const [tick, setTick] = useState(now());
  const [query, setQuery] = useState<NodeQuery>({ text: '', zone: null, sort: 'state', desc: false });
  const [devText, setDevText] = useState('');
  const [alertText, setAlertText] = useState('');
  const [alertFilter, setAlertFilter] = useState<{ severity: string | null; category: string | null; showResolved: boolean }>({ severity: null, category: null, showResolved: false });
  const [pos, setPos] = useState<Record<ListScreen, { cursor: number; offset: number }>>({
    nodes: { cursor: 0, offset: 0 },
    devices: { cursor: 0, offset: 0 },
    alerts: { cursor: 0, offset: 0 },
  });
  const [detail, setDetail] = useState<{ id: string; scroll: number } | null>(null);
  const [facts, setFacts] = useState<Result<NodeFacts> | null>(null);
  const [confirm, setConfirm] = useState<Confirm | null>(null);
  const [flash, setFlash] = useState<string | null>(null);

  // The fleet and the health come together; the last good fleet stays shown while the collector is away.
  const loadFleet = useCallback(async (): Promise<Result<{ health: Health; fleet: Fleet }>> => {
    const [h, f] = await Promise.all([api.health(), api.fleet()]);
    if (!h.ok) return h;
    if (!f.ok) return f;
    return { ok: true, value: { health: h.value, fleet: f.value } };
  }, [api]);
  const fleetRes = usePoll(true, loadFleet, refreshMs, retryMs, nonce);
  const lastGood = useRef<{ fleet: Fleet; health: Health; at: number } | null>(null);
  if (fleetRes?.ok && lastGood.current?.fleet !== fleetRes.value.fleet) lastGood.current = { ...fleetRes.value, at: now() };
  const fleet = lastGood.current?.fleet ?? null;
  const loadDevices = useCallback(() => api.devices(), [api]);
  const devicesRes = usePoll(screen === 'devices' || screen === 'detail', loadDevices, refreshMs, retryMs, nonce);
  const loadAlerts = useCallback(() => api.alerts(), [api]);
  const alertsRes = usePoll(screen === 'alerts' || screen === 'detail', loadAlerts, refreshMs, retryMs, nonce);

  useEffect(() => {
    const t = setInterval(() => setTick(now()), 1000);
    return () => clearInterval(t);
  }, [now]);

  const detailId = detail?.id;
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new nonce reloads the facts (refresh now)
  useEffect(() => {
    if (detailId === undefined) return;
    let stopped = false;
    setFacts(null);
    void api.facts(detailId).then((r) => {
      if (!stopped) setFacts(r);
    });
    return () => {
      stopped = true;
    };
  }, [api, detailId, nonce]);

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

  const move = (s: ListScreen, to: (cursor: number) => number) =>
    setPos((p) => {
      const total = counts[s];
      const cursor = clamp(to(p[s].cursor), total);
      return { ...p, [s]: { cursor, offset: scrollOffset(p[s].offset, cursor, bodyHeight, total) } };
    });
  const resetPos = (s: ListScreen) => setPos((p) => ({ ...p, [s]: { cursor: 0, offset: 0 } }));

  const openNode = (id: string | undefined, from: ListScreen) => {
    if (!id) return;
    setBack(from);
    setDetail({ id, scroll: 0 });
    setScreen('detail');
  };

  const runAction = async (c: Confirm) => {
    const what = c.action === 'claim' ? L.claim : c.action === 'ack' ? L.ack : L.silence;
    let r: Result<unknown>;
    if (c.action === 'claim') r = await api.claim(c.alert.fingerprint);
    else if (c.action === 'ack') r = await api.ack(c.alert.fingerprint);
    else {
      const start = now();
      r = await api.silence({
        matchers: [
          { name: 'alertname', value: c.alert.name, isRegex: false, isEqual: true },
          ...(c.alert.node ? [{ name: 'node', value: c.alert.node, isRegex: false, isEqual: true }] : []),
        ],
        startsAt: new Date(start).toISOString(),
        endsAt: new Date(start + (props.silenceMs ?? 7_200_000)).toISOString(),
        comment: `silenced from xunjian tui: ${c.alert.name}${c.alert.node ? ` on ${c.alert.node}` : ''}`,
      });
    }
    setFlash(`${what} ${c.alert.name}: ${r.ok ? L.done : failureText(r)}`);
    setNonce((n) => n + 1);
  };

  const failureText = (f: Failure) => (f.kind === 'unavailable' ? L.notAvailable : f.kind === 'forbidden' ? L.forbidden : f.message);

  useInput((input, key) => {
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
      if (key.escape) {
        setFiltering(false);
        if (screen === 'nodes') setQuery((q) => ({ ...q, text: '' }));
        else if (screen === 'devices') setDevText('');
        else if (screen === 'alerts') setAlertText('');
      }
      return; // the TextInput has the other keys
    }
    setFlash(null);
    if (input === 'q') return exit();
    if (input === '?') return setHelp(true);
    if (input === 'r') return setNonce((n) => n + 1);
    if (input === '1' || input === '2' || input === '3') return setScreen((['nodes', 'devices', 'alerts'] as const)[Number(input) - 1]!);
    if (key.tab) return setScreen((s) => (s === 'nodes' ? 'devices' : s === 'devices' ? 'alerts' : 'nodes'));
    if (screen === 'detail') {
      const total = detailText.length;
      const maxScroll = Math.max(0, total - bodyHeight - 1);
      if (key.escape || key.backspace || key.leftArrow) return setScreen(back);
      if (key.upArrow || input === 'k') setDetail((d) => d && { ...d, scroll: Math.max(0, d.scroll - 1) });
      if (key.downArrow || input === 'j') setDetail((d) => d && { ...d, scroll: Math.min(maxScroll, d.scroll + 1) });
      if (key.pageDown || input === ' ') setDetail((d) => d && { ...d, scroll: Math.min(maxScroll, d.scroll + bodyHeight) });
      if (key.pageUp) setDetail((d) => d && { ...d, scroll: Math.max(0, d.scroll - bodyHeight) });
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
    const cur = pos[s].cursor;
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
      if (a && (input === 'c' || input === 'a' || input === 'x')) return setConfirm({ action: input === 'c' ? 'claim' : input === 'a' ? 'ack' : 'silence', alert: a });
    }
  });

  const onFilterChange = (v: string) => {
    if (screen === 'nodes') setQuery((q) => ({ ...q, text: v }));
    else if (screen === 'devices') setDevText(v);
    else if (screen === 'alerts') setAlertText(v);
    if (listScreen) resetPos(listScreen);
  };

  // ---- header
  const good = lastGood.current;
  const down = fleetRes && !fleetRes.ok ? fleetRes : null;
  const upCount = allNodes.filter((n) => n.up).length;
  const healthText = down
    ? `${L.collector} ${L.unreachable} (${down.kind === 'unreachable' ? down.message : failureText(down)}), ${L.retrying}${good ? ` · ${L.lastData} ${clock(good.at)}` : ''}`
    : good
      ? `${L.collector} ${L.healthy}${good.health.version ? ` v${good.health.version}` : ''} · ${upCount}/${allNodes.length} ${L.nodesUp}`
      : `${L.collector} ${L.loading}`;
  const headerLeft = `${L.title} · ${api.url} · ${healthText}`;
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
    () => (detailId !== undefined ? detailLines({ id: detailId, node: allNodes.find((n) => n.id === detailId), facts, devices: devicesRes, alerts: alertsRes }, L) : []),
    [detailId, allNodes, facts, devicesRes, alertsRes, L],
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
            {lines[i] ?? ' '}
          </Text>
        ))}
      </Box>
    );
  } else if (screen === 'nodes') {
    body = fleet ? (
      <Table columns={nodeColumns(L, cols)} rows={nodes} cursor={pos.nodes.cursor} offset={pos.nodes.offset} height={bodyHeight} width={cols} color={color} colorOf={stateColor} empty={L.noNodes} />
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
      body = <Table columns={deviceColumns(L)} rows={devices} cursor={pos.devices.cursor} offset={pos.devices.offset} height={bodyHeight} width={cols} color={color} colorOf={(d) => (d.up === false ? 'red' : (d.interfacesDown ?? 0) > 0 ? 'yellow' : undefined)} empty="–" />;
    else
      body = (
        <Table
          columns={alertColumns(L, tick)}
          rows={alerts}
          cursor={pos.alerts.cursor}
          offset={pos.alerts.offset}
          height={bodyHeight}
          width={cols}
          color={color}
          colorOf={(a) => (a.state === 'resolved' ? 'gray' : a.severity === 'critical' ? 'red' : a.severity === 'warning' ? 'yellow' : undefined)}
          empty="–"
        />
      );
  } else {
    const scroll = detail?.scroll ?? 0;
    body = (
      <Box flexDirection="column">
        {Array.from({ length: bodyHeight + 1 }, (_, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: fixed lines
          <Text key={i} wrap="truncate">
            {detailText[scroll + i] ?? ' '}
          </Text>
        ))}
      </Box>
    );
  }

  // ---- footer
  let footer: ReactNode;
  if (confirm) {
    const what = confirm.action === 'claim' ? L.claim : confirm.action === 'ack' ? L.ack : L.silence;
    footer = <Text color={color ? 'cyan' : undefined} wrap="truncate">{padTo(L.confirm(`${what} ${confirm.alert.name}${confirm.alert.node ? ` @ ${confirm.alert.node}` : ''}`), cols)}</Text>;
  } else if (filtering) {
    footer = (
      <Box width={cols}>
        <Text>{`${L.filter}: `}</Text>
        <TextInput
          defaultValue={screen === 'nodes' ? query.text : screen === 'devices' ? devText : alertText}
          onChange={onFilterChange}
          onSubmit={() => setFiltering(false)}
        />
      </Box>
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
      {body}
      {footer}
    </Box>
  );
}
