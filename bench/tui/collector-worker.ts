import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { Collector } from '../../collector/server.js';
import { postReport, startTestCollector } from '../../collector/test-support.js';
import type { Sample } from '../../contract/types.js';

/**
 * bench:tui's collector, in a worker thread so that its work (ingest, the 2,000-node summary on
 * every refresh) never delays the main thread's reading of the pty: a real collector with `nodes`
 * nodes pushed as signed reports, each with a switch of 4 interfaces and the agent's link rates.
 * Posts `{base, tokenFile, pushSeconds}`; closes on 'close'.
 */
export function nodeSamples(i: number, now: number): Sample[] {
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

export async function fleet(c: Collector, base: string, n: number): Promise<void> {
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

export interface Ready {
  base: string;
  tokenFile: string;
  pushSeconds: number;
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const nodes = (workerData as { nodes: number }).nodes;
  // no rules: a firing alert would re-sort the rows under the markers. The data dir in memory
  // (/dev/shm): 2,000 reports, each committed with fsync (synchronous=FULL), would take a minute on
  // a shared VM's disk, and the ingest is not what is measured here.
  const shm = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/xj-bench-tui-') : mkdtempSync(join(tmpdir(), 'xj-bench-tui-'));
  const { collector, base } = await startTestCollector({ XUNJIAN_COLLECTOR__RULES__BUILTIN: 'false', XUNJIAN_COLLECTOR__DATADIR: join(shm, 'data') });
  const t = performance.now();
  await fleet(collector, base, nodes);
  const pushSeconds = (performance.now() - t) / 1000;
  const tokenFile = join(shm, 'api.token');
  writeFileSync(tokenFile, `${collector.store.apiTokens.create('bench-tui', 'security').token}\n`, { mode: 0o600 });
  port.on('message', async (m) => {
    if (m !== 'close') return;
    await collector.close();
    rmSync(shm, { recursive: true, force: true });
    port.postMessage('closed');
    port.close();
  });
  port.postMessage({ base, tokenFile, pushSeconds } satisfies Ready);
}

void main();
