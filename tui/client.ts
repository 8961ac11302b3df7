import { Agent, request } from 'undici';
import { type AdminStatus, type DeviceInterfaces, IF_ADMIN_STATUS, IF_OPER_STATUS, type InterfaceRow, type OperStatus } from '../collector/api/interfaces.js';
import { type NodeSummary, SUMMARY_DEFAULT_PAGE_SIZE, SUMMARY_PATH, type SummaryPage } from '../collector/api/summary.js';
import type { AlertView, DeviceView } from './model.js';

/**
 * The TUI's client of the collector API (undici, `Authorization: Bearer <token>`). Every call returns a
 * Result instead of throwing; a route the collector does not have (404) is `unavailable`, so the TUI
 * works against collectors that lack a capability. The token never appears in a result or error.
 */
export type Failure = { ok: false; kind: 'unavailable' | 'forbidden' | 'unauthorized' | 'unreachable' | 'error'; message: string };
export type Result<T> = { ok: true; value: T } | Failure;

export interface Health {
  status: string;
  version: string;
}

export interface Fleet {
  nodes: NodeSummary[];
  /** `summary`: GET /api/v1/summary; `nodes`: fallback to GET /api/v1/nodes (registry fields only). */
  source: 'summary' | 'nodes';
  /** ms, collector clock when known. */
  generatedAt: number;
}

export interface NodeFacts {
  facts: Record<string, unknown>;
  sentAt: number;
}

/** A failing MLPS check of a target, from `GET /api/v1/compliance/:target` (collector/mlps). */
export interface FailingCheck {
  check: string;
  clause: string;
  title: { zh: string; en: string };
  /** The first evidence item, one line: `fact = value (source:line: excerpt)`. */
  evidence: string;
  remediation: { zh: string; en: string };
}

export interface Compliance {
  score: { passed: number; failed: number };
  failing: FailingCheck[];
}

/** `POST /api/v1/silences` as collector/alerts takes it: matchers in PromQL syntax (`alertname="X"`). */
export interface SilenceInput {
  matchers: string[];
  endsAt: string;
  comment: string;
}

/** What the TUI needs from a collector; `CollectorClient` implements it over HTTP. */
export interface Api {
  readonly url: string;
  health(): Promise<Result<Health>>;
  fleet(): Promise<Result<Fleet>>;
  facts(node: string): Promise<Result<NodeFacts>>;
  /** The node's MLPS evaluation (role security). */
  compliance(target: string): Promise<Result<Compliance>>;
  devices(): Promise<Result<DeviceView[]>>;
  alerts(): Promise<Result<AlertView[]>>;
  /** The node's alerts, firing and resolved (`filter=node="N"`). */
  nodeAlerts(node: string): Promise<Result<AlertView[]>>;
  /** The node's SNMP devices and their interfaces (`GET /api/v1/nodes/:id/interfaces`, viewer). */
  interfaces(node: string): Promise<Result<DeviceInterfaces[]>>;
  claim(fingerprint: string): Promise<Result<unknown>>;
  ack(fingerprint: string): Promise<Result<unknown>>;
  silence(s: SilenceInput): Promise<Result<unknown>>;
}

export interface ClientOptions {
  token?: string;
  /** Per request, ms (default 10 s). */
  timeoutMs?: number;
  pageSize?: number;
  now?: () => number;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const rec = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** Pure: an alert as returned by `GET /api/v1/alerts` (Prometheus-shaped, with claim/ack fields) into the view. */
export function parseAlert(raw: unknown): AlertView | undefined {
  const a = rec(raw);
  const labels = rec(a.labels);
  const ann = rec(a.annotations);
  const status = rec(a.status);
  const fingerprint = str(a.fingerprint) || str(a.id);
  if (!fingerprint) return undefined;
  const st = str(a.state) || (typeof a.status === 'string' ? a.status : str(status.state));
  const state: AlertView['state'] = st === 'pending' ? 'pending' : st === 'resolved' || st === 'inactive' || st === 'inactive_resolved' ? 'resolved' : 'firing';
  const started = typeof a.startsAt === 'number' ? a.startsAt : Date.parse(str(a.startsAt) || str(a.activeAt));
  const silencedBy = status.silencedBy;
  const by = (v: unknown) => str(v) || str(rec(v).by) || str(rec(v).actor) || undefined;
  return {
    fingerprint,
    name: str(labels.alertname) || fingerprint,
    severity: str(labels.severity),
    category: str(labels.category),
    node: str(labels.node),
    state,
    summary: str(ann.summary) || str(ann.description),
    startsAt: Number.isFinite(started) ? started : 0,
    claimedBy: by(a.claimedBy) ?? by(a.claim),
    ackedBy: by(a.ackedBy) ?? by(a.acknowledgedBy) ?? by(a.ack),
    silenced: a.silenced === true || st === 'suppressed' || (Array.isArray(silencedBy) && silencedBy.length > 0),
  };
}

const text2 = (v: unknown) => ({ zh: str(rec(v).zh), en: str(rec(v).en) });
const firstLine = (s: string) => s.split('\n', 1)[0] ?? '';

/** Pure: `GET /api/v1/compliance/:target` (`{evaluation: {results, score}, checks: {id: {title, remediation}}}`) into its failing checks. */
export function parseCompliance(raw: unknown): Compliance {
  const b = rec(raw);
  const e = rec(b.evaluation);
  const score = rec(e.score);
  const checks = rec(b.checks);
  const results = Array.isArray(e.results) ? e.results : [];
  const failing: FailingCheck[] = [];
  for (const r0 of results) {
    const r = rec(r0);
    if (r.status !== 'fail') continue;
    const c = rec(checks[str(r.check)]);
    const ev = rec(Array.isArray(r.evidence) ? r.evidence[0] : undefined);
    const where = str(ev.source)
      ? ` (${str(ev.source)}${typeof ev.line === 'number' ? `:${ev.line}` : ''}${str(ev.excerpt) ? `: ${str(ev.excerpt)}` : ''})`
      : '';
    failing.push({
      check: str(r.check),
      clause: str(r.clause),
      title: text2(c.title),
      evidence: str(ev.fact) ? firstLine(`${str(ev.fact)} = ${str(ev.value)}${where}`) : '',
      remediation: { zh: firstLine(text2(c.remediation).zh), en: firstLine(text2(c.remediation).en) },
    });
  }
  return { score: { passed: typeof score.passed === 'number' ? score.passed : 0, failed: typeof score.failed === 'number' ? score.failed : 0 }, failing };
}

/** Pure: a device as returned by `GET /api/v1/devices` into the view. */
export function parseDevice(raw: unknown): DeviceView | undefined {
  const d = rec(raw);
  const fw = rec(d.firmware);
  const name = str(d.target) || str(d.name) || str(d.id);
  if (!name) return undefined;
  // GET /api/v1/devices (collector/store/devices.ts): lastPollOk; other shapes: up
  const upRaw = d.up ?? d.lastPollOk;
  const up = typeof upRaw === 'boolean' ? upRaw : typeof upRaw === 'number' ? upRaw === 1 : null;
  const down = typeof d.interfacesDown === 'number' ? d.interfacesDown : typeof d.linksDown === 'number' ? d.linksDown : null;
  return {
    node: str(d.node),
    name,
    address: str(d.sysName) || str(d.address),
    vendor: str(d.vendor) || str(fw.vendor),
    firmware: typeof d.firmware === 'string' ? d.firmware : [str(fw.os), str(fw.version)].filter(Boolean).join(' '),
    up,
    interfacesDown: down,
  };
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Pure: `GET /api/v1/nodes/:id/interfaces` into its devices; unknown statuses are null, missing numbers null. */
export function parseInterfaces(raw: unknown): DeviceInterfaces[] {
  const out: DeviceInterfaces[] = [];
  for (const d0 of Array.isArray(rec(raw).devices) ? (rec(raw).devices as unknown[]) : []) {
    const d = rec(d0);
    const target = str(d.target);
    if (!target) continue;
    const interfaces: InterfaceRow[] = [];
    for (const i0 of Array.isArray(d.interfaces) ? d.interfaces : []) {
      const i = rec(i0);
      const ifIndex = str(i.ifIndex);
      if (!ifIndex) continue;
      const oper = (IF_OPER_STATUS as readonly string[]).includes(str(i.operStatus)) ? (str(i.operStatus) as OperStatus) : null;
      const admin = (IF_ADMIN_STATUS as readonly string[]).includes(str(i.adminStatus)) ? (str(i.adminStatus) as AdminStatus) : null;
      interfaces.push({
        ifIndex,
        ifName: str(i.ifName),
        ifDescr: str(i.ifDescr),
        ifAlias: str(i.ifAlias),
        adminStatus: admin,
        operStatus: oper,
        down: i.down === true,
        speedBps: num(i.speedBps),
        inBps: num(i.inBps),
        outBps: num(i.outBps),
        inUtilization: num(i.inUtilization),
        outUtilization: num(i.outUtilization),
        inErrorsPerSecond: num(i.inErrorsPerSecond),
        outErrorsPerSecond: num(i.outErrorsPerSecond),
        inDiscardsPerSecond: num(i.inDiscardsPerSecond),
        outDiscardsPerSecond: num(i.outDiscardsPerSecond),
      });
    }
    out.push({
      target,
      up: typeof d.up === 'boolean' ? d.up : null,
      interfacesDown: num(d.interfacesDown) ?? interfaces.filter((i) => i.down).length,
      interfaces,
    });
  }
  return out;
}

/** Pure: a registry row of `GET /api/v1/nodes` as a summary with only the registry fields. */
export function nodeRowToSummary(raw: unknown, now: number): NodeSummary | undefined {
  const n = rec(raw);
  const id = str(n.id);
  if (!id) return undefined;
  const lastSeen = typeof n.lastSeen === 'number' ? n.lastSeen : now;
  return {
    id,
    zone: str(n.zone),
    site: str(n.site),
    grade: typeof n.grade === 'number' ? n.grade : 0,
    up: n.up === true,
    lastSeenAgeSeconds: Math.max(0, Math.round((now - lastSeen) / 1000)),
    devices: null,
    linksDown: null,
    ipv6: { lossV6: null, lossV4: null, websiteRate: null },
    mlpsScore: null,
    activeAlerts: null,
  };
}

function listOf(body: unknown, key: string): unknown[] {
  const b = rec(body);
  const direct = b[key];
  if (Array.isArray(direct)) return direct;
  const data = b.data;
  if (Array.isArray(data)) return data;
  const nested = rec(data)[key];
  return Array.isArray(nested) ? nested : [];
}

export class CollectorClient implements Api {
  readonly url: string;
  private readonly dispatcher: Agent;
  private readonly timeoutMs: number;
  private readonly pageSize: number;
  private readonly now: () => number;

  constructor(
    url: string,
    private readonly opts: ClientOptions = {},
  ) {
    this.url = url.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.pageSize = opts.pageSize ?? SUMMARY_DEFAULT_PAGE_SIZE;
    this.now = opts.now ?? Date.now;
    this.dispatcher = new Agent({
      connect: { timeout: this.timeoutMs },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      keepAliveTimeout: 30_000,
    });
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Result<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(this.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), dispatcher: this.dispatcher });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return { ok: false, kind: 'unreachable', message: e.code ?? e.message };
    }
    const text = await res.body.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true, value: parsed as T };
    const message = str(rec(parsed).message) || str(rec(parsed).error) || `HTTP ${res.statusCode}`;
    if (res.statusCode === 404 || res.statusCode === 405 || res.statusCode === 501) return { ok: false, kind: 'unavailable', message };
    if (res.statusCode === 401) return { ok: false, kind: 'unauthorized', message };
    if (res.statusCode === 403) return { ok: false, kind: 'forbidden', message };
    return { ok: false, kind: 'error', message: `HTTP ${res.statusCode}: ${message}` };
  }

  async health(): Promise<Result<Health>> {
    const r = await this.call<unknown>('GET', '/healthz');
    return r.ok ? { ok: true, value: { status: str(rec(r.value).status) || 'ok', version: str(rec(r.value).version) } } : r;
  }

  /** Every page of the summary; against a collector without it, the node registry. */
  async fleet(): Promise<Result<Fleet>> {
    const nodes: NodeSummary[] = [];
    let generatedAt = this.now();
    for (let page = 1; ; page++) {
      const r = await this.call<SummaryPage>('GET', `${SUMMARY_PATH}?page=${page}&pageSize=${this.pageSize}`);
      if (!r.ok) {
        if (r.kind === 'unavailable' && page === 1) return this.registry();
        return r;
      }
      const p = r.value;
      nodes.push(...(Array.isArray(p?.nodes) ? p.nodes : []));
      generatedAt = typeof p?.generatedAt === 'number' ? p.generatedAt : generatedAt;
      if (!Array.isArray(p?.nodes) || p.nodes.length === 0 || nodes.length >= p.total) break;
    }
    return { ok: true, value: { nodes, source: 'summary', generatedAt } };
  }

  private async registry(): Promise<Result<Fleet>> {
    const r = await this.call<unknown>('GET', '/api/v1/nodes');
    if (!r.ok) return r;
    const now = this.now();
    const nodes = listOf(r.value, 'nodes')
      .map((n) => nodeRowToSummary(n, now))
      .filter((n): n is NodeSummary => n !== undefined);
    return { ok: true, value: { nodes, source: 'nodes', generatedAt: now } };
  }

  async facts(node: string): Promise<Result<NodeFacts>> {
    const r = await this.call<unknown>('GET', `/api/v1/nodes/${encodeURIComponent(node)}/facts`);
    if (!r.ok) return r;
    const v = rec(r.value);
    return { ok: true, value: { facts: rec(v.facts), sentAt: typeof v.sentAt === 'number' ? v.sentAt : 0 } };
  }

  async compliance(target: string): Promise<Result<Compliance>> {
    const r = await this.call<unknown>('GET', `/api/v1/compliance/${encodeURIComponent(target)}`);
    return r.ok ? { ok: true, value: parseCompliance(r.value) } : r;
  }

  async devices(): Promise<Result<DeviceView[]>> {
    const r = await this.call<unknown>('GET', '/api/v1/devices');
    if (!r.ok) return r;
    return {
      ok: true,
      value: listOf(r.value, 'devices')
        .map(parseDevice)
        .filter((d): d is DeviceView => d !== undefined),
    };
  }

  /** Active and recently resolved alerts (collector/alerts: `/api/v1/alerts/active?state=all`; else the Prometheus-shaped `/api/v1/alerts`). */
  async alerts(): Promise<Result<AlertView[]>> {
    let r = await this.call<unknown>('GET', '/api/v1/alerts/active?state=all');
    if (!r.ok && r.kind === 'unavailable') r = await this.call<unknown>('GET', '/api/v1/alerts');
    if (!r.ok) return r;
    return {
      ok: true,
      value: listOf(r.value, 'alerts')
        .map(parseAlert)
        .filter((a): a is AlertView => a !== undefined),
    };
  }

  /** One node's alerts: collector/alerts filters them (`filter=node="N"`); else the full list, filtered here. */
  async nodeAlerts(node: string): Promise<Result<AlertView[]>> {
    const filter = encodeURIComponent(`node="${node.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
    const r = await this.call<unknown>('GET', `/api/v1/alerts/active?state=all&filter=${filter}`);
    if (!r.ok && r.kind === 'unavailable') {
      const all = await this.alerts();
      return all.ok ? { ok: true, value: all.value.filter((a) => a.node === node) } : all;
    }
    if (!r.ok) return r;
    return {
      ok: true,
      value: listOf(r.value, 'alerts')
        .map(parseAlert)
        .filter((a): a is AlertView => a !== undefined && a.node === node),
    };
  }

  async interfaces(node: string): Promise<Result<DeviceInterfaces[]>> {
    const r = await this.call<unknown>('GET', `/api/v1/nodes/${encodeURIComponent(node)}/interfaces`);
    return r.ok ? { ok: true, value: parseInterfaces(r.value) } : r;
  }

  claim(fingerprint: string): Promise<Result<unknown>> {
    return this.call('POST', `/api/v1/alerts/${encodeURIComponent(fingerprint)}/claim`, {});
  }

  ack(fingerprint: string): Promise<Result<unknown>> {
    return this.call('POST', `/api/v1/alerts/${encodeURIComponent(fingerprint)}/ack`, {});
  }

  silence(s: SilenceInput): Promise<Result<unknown>> {
    return this.call('POST', '/api/v1/silences', s);
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }
}
