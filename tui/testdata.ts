import type { DeviceInterfaces } from '../collector/api/interfaces.js';
import type { NodeSummary } from '../collector/api/summary.js';
import type { Api, Compliance, Fleet, Health, NodeFacts, Result, SilenceInput } from './client.js';
import type { AlertView, DeviceView } from './model.js';

/** Test fixtures: an in-memory Api for component tests (the e2e test runs the real collector). */
export function node(id: string, over: Partial<NodeSummary> = {}): NodeSummary {
  return {
    id,
    zone: 'extranet',
    site: 'site',
    grade: 3,
    up: true,
    lastSeenAgeSeconds: 5,
    devices: null,
    linksDown: null,
    ipv6: { lossV6: null, lossV4: null, websiteRate: null },
    mlpsScore: null,
    activeAlerts: null,
    ...over,
  };
}

export class MemoryApi implements Api {
  readonly url = 'http://collector.test:9700';
  nodes: NodeSummary[] = [];
  devicesList: Result<DeviceView[]> = { ok: false, kind: 'unavailable', message: 'no route' };
  alertsList: Result<AlertView[]> = { ok: false, kind: 'unavailable', message: 'no route' };
  factsOf: Record<string, NodeFacts> = {};
  complianceOf: Record<string, Result<Compliance>> = {};
  interfacesOf: Record<string, Result<DeviceInterfaces[]>> = {};
  down = false;
  actions: { action: string; arg: unknown }[] = [];
  actionResult: Result<unknown> = { ok: true, value: {} };
  fleetCalls = 0;

  async health(): Promise<Result<Health>> {
    return this.down ? { ok: false, kind: 'unreachable', message: 'ECONNREFUSED' } : { ok: true, value: { status: 'ok', version: '0.1.0' } };
  }
  async fleet(): Promise<Result<Fleet>> {
    this.fleetCalls++;
    if (this.down) return { ok: false, kind: 'unreachable', message: 'ECONNREFUSED' };
    return { ok: true, value: { nodes: [...this.nodes], source: 'summary', generatedAt: 0 } };
  }
  async facts(n: string): Promise<Result<NodeFacts>> {
    const f = this.factsOf[n];
    return f ? { ok: true, value: f } : { ok: false, kind: 'unavailable', message: 'no facts stored for this node' };
  }
  async compliance(n: string): Promise<Result<Compliance>> {
    return this.complianceOf[n] ?? { ok: false, kind: 'unavailable', message: `no MLPS evaluation of target '${n}'` };
  }
  async devices() {
    return this.devicesList;
  }
  async alerts() {
    return this.alertsList;
  }
  async nodeAlerts(n: string): Promise<Result<AlertView[]>> {
    const a = this.alertsList;
    return a.ok ? { ok: true, value: a.value.filter((x) => x.node === n) } : a;
  }
  async interfaces(n: string): Promise<Result<DeviceInterfaces[]>> {
    return this.interfacesOf[n] ?? { ok: true, value: [] };
  }
  async claim(fp: string) {
    this.actions.push({ action: 'claim', arg: fp });
    return this.actionResult;
  }
  async ack(fp: string) {
    this.actions.push({ action: 'ack', arg: fp });
    return this.actionResult;
  }
  async silence(s: SilenceInput) {
    this.actions.push({ action: 'silence', arg: s });
    return this.actionResult;
  }
}
