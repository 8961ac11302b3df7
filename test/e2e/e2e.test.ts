import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { isAddrInUse, withFreePort } from '../helpers/net.js';
import { type Running, ROOT, listeningUrl, start, waitFor, xunjian } from '../helpers/proc.js';

/** The real collector and agent as processes on loopback, configured by files, talking HTTP. */
const dir = mkdtempSync(join(tmpdir(), 'xj-e2e-'));
const running: Running[] = [];
afterAll(async () => {
  for (const r of running) await r.stop('SIGKILL');
});

let apiToken = '';
async function get(url: string, token = apiToken): Promise<string> {
  const r = await request(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  if (r.statusCode !== 200) throw new Error(`${url}: HTTP ${r.statusCode}`);
  return r.body.text();
}

/** `promtool check metrics` (Debian's prometheus package) on an exposition: its complaints, or ''. */
function promtoolCheck(page: string): string {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: page, encoding: 'utf8' });
  if (r.error) throw new Error(`promtool is needed (apt install prometheus): ${r.error.message}`);
  return `${r.stdout}${r.stderr}`.trim();
}

describe('end to end: agent → collector → /metrics', () => {
  it('delivers a report, exposes it, and marks the node down after 3 missed intervals', async () => {
    const ccfg = join(dir, 'collector.yaml');
    // port 0: the collector picks a free port and logs it (no port reserved beforehand)
    writeFileSync(ccfg, `listen: 127.0.0.1:0\ndataDir: ${join(dir, 'collector-data')}\n`);
    const created = xunjian(['collector', 'token', 'create', 'e2e-node', '-c', ccfg]);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^xj1_[A-Za-z0-9_-]{43}$/);
    writeFileSync(join(dir, 'token'), `${token}\n`);
    // Data directory and database are private (token digests are HMAC keys).
    expect(statSync(join(dir, 'collector-data')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'collector-data', 'collector.db')).mode & 0o777).toBe(0o600);
    const apiFile = join(dir, 'viewer.token');
    expect(xunjian(['collector', 'api-token', 'create', 'e2e-viewer', '--role', 'viewer', '--out', apiFile, '-c', ccfg]).code).toBe(0);
    expect(statSync(apiFile).mode & 0o777).toBe(0o600);
    apiToken = readFileSync(apiFile, 'utf8').trim();
    expect(apiToken).toMatch(/^xja_[A-Za-z0-9_-]{43}$/);
    const listed = xunjian(['collector', 'token', 'list', '-c', ccfg]);
    expect(listed.stdout).toContain('e2e-node');
    expect(listed.stdout).not.toContain(token);

    const collector = start(['collector', '-c', ccfg]);
    running.push(collector);
    const base = await listeningUrl(collector.output);
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await waitFor(() => get(`${base}/healthz`, ''), 15_000, 'collector /healthz');
    // Every read but /healthz needs a token.
    for (const path of ['/metrics', '/api/v1/nodes', '/api/v1/devices']) {
      const r = await request(`${base}${path}`);
      expect([path, r.statusCode, ((await r.body.json()) as { error: string }).error]).toEqual([path, 401, 'missing_token']);
    }

    const acfg = join(dir, 'agent.yaml');
    writeFileSync(
      acfg,
      [
        'node:',
        '  id: e2e-node',
        '  site: 测试县',
        '  zone: gov-cloud',
        '  grade: 2',
        '  labels: { region: e2e }',
        'collector:',
        `  url: ${base}`,
        `  tokenFile: ${join(dir, 'token')}`,
        '  signature: hmac-sm3',
        'report:',
        '  intervalSeconds: 1',
        'sources:',
        '  host:',
        '    intervalSeconds: 5',
        `dataDir: ${join(dir, 'agent-data')}`,
        '',
      ].join('\n'),
    );
    const agent = start(['agent', '-c', acfg]);
    running.push(agent);

    const nodes = await waitFor(
      async () => {
        const body = JSON.parse(await get(`${base}/api/v1/nodes`)) as { nodes: Record<string, unknown>[] };
        // the first report does not wait for a slow first run: wait for the one carrying the host's facts
        return body.nodes.length > 0 && Boolean(body.nodes[0]!.factsAt) && body.nodes;
      },
      30_000,
      'a report with the host source',
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nagent:\n${agent.output()}\ncollector:\n${collector.output()}`);
    });
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({
      id: 'e2e-node',
      site: '测试县',
      zone: 'gov-cloud',
      grade: 2,
      labels: { region: 'e2e' },
      agentVersion: version,
      interval: 1,
      up: true,
    });
    expect(nodes[0]!.lastSeq).toBeGreaterThanOrEqual(1);
    expect(nodes[0]!.factsAt).toEqual(expect.any(Number));

    const target = 'node="e2e-node",site="测试县",zone="gov-cloud",region="e2e"';
    const metrics = await get(`${base}/metrics`);
    expect(metrics).toContain('# TYPE node_load1 gauge');
    expect(metrics).toMatch(new RegExp(`^node_load1\\{${target}\\} \\d`, 'm'));
    expect(metrics).toMatch(new RegExp(`^node_memory_MemTotal_bytes\\{${target}\\} [1-9]\\d+$`, 'm'));
    expect(metrics).toMatch(new RegExp(`^xunjian_agent_source_up\\{source="host",${target}\\} 1$`, 'm'));
    expect(metrics).toContain(`xunjian_node_up{node="e2e-node",site="测试县",zone="gov-cloud"} 1`);
    expect(metrics).toMatch(/^xunjian_collector_reports_total\{result="accepted"\} [1-9]/m);
    expect(metrics).not.toContain(token);
    // The whole page passes promtool, except its camelCase lint on node_exporter's own names, which
    // Xunjian keeps exactly (node_exporter's page draws the same four complaints).
    expect(promtoolCheck(metrics).split('\n').sort()).toEqual(
      ['MemAvailable', 'MemTotal', 'SwapFree', 'SwapTotal'].map((m) => `node_memory_${m}_bytes metric names should be written in 'snake_case' not 'camelCase'`),
    );

    // Facts are a security officer's: a viewer token is refused.
    const denied = await request(`${base}/api/v1/nodes/e2e-node/facts`, { headers: { authorization: `Bearer ${apiToken}` } });
    expect(denied.statusCode).toBe(403);
    await denied.body.dump();
    const sec = xunjian(['collector', 'api-token', 'create', 'e2e-sec', '--role', 'security', '-c', ccfg]).stdout.trim();
    const facts = JSON.parse(await get(`${base}/api/v1/nodes/e2e-node/facts`, sec)) as { facts: Record<string, { hostname?: string }> };
    expect(typeof facts.facts['host.inventory']?.hostname).toBe('string');

    // Agent gone: after 3 intervals (3 s) without a report the node is down and its series leave /metrics.
    expect(await agent.stop('SIGTERM')).toBe(0);
    expect(agent.output()).not.toContain(token);
    const down = await waitFor(
      async () => {
        const m = await get(`${base}/metrics`);
        return m.includes('xunjian_node_up{node="e2e-node",site="测试县",zone="gov-cloud"} 0') && m;
      },
      10_000,
      'xunjian_node_up 0',
    );
    expect(down).not.toMatch(/^node_load1\{/m);
    expect(await collector.stop('SIGTERM')).toBe(0);
    expect(collector.output()).not.toContain(token);
  }, 60_000);
});

describe('demo (what `npm start` runs)', () => {
  it('starts collector, agent and a simulated switch, and says where to look once the first report arrived', async () => {
    const data = join(dir, 'demo');
    const community = `c0mm-${Math.random().toString(36).slice(2, 14)}`;
    // the demo is told its port beforehand: another one when it was taken meanwhile
    const { demo, port } = await withFreePort(async (port) => {
      const demo = start(['demo', '--listen', `127.0.0.1:${port}`, '--data-dir', data], { XUNJIAN_DEMO_SWITCH_COMMUNITY: community });
      running.push(demo);
      await waitFor(
        async () => {
          if (isAddrInUse({ message: demo.output() })) throw new Error(demo.output());
          return demo.output().includes('Stop with Ctrl-C.');
        },
        30_000,
        'the demo banner',
      ).catch(async (err: Error) => {
        await demo.stop('SIGKILL');
        throw new Error(`${err.message}\n${demo.output()}`);
      });
      return { demo, port };
    });
    const out = demo.output();
    const base = `http://127.0.0.1:${port}`;
    const curl = `curl -H "Authorization: Bearer $(cat ${join(data, 'admin.token')})"`;
    expect(out).toMatch(/First report \(seq \d+\) from node '[^']+' arrived\./);
    expect(out).toContain(`Admin API token: ${join(data, 'admin.token')}`);
    expect(out).toContain(`Fleet metrics:  ${curl} ${base}/metrics`);
    expect(out).toContain(`Nodes (JSON):   ${curl} ${base}/api/v1/nodes`);
    expect(out).toContain(`Devices:        ${curl} ${base}/api/v1/devices`);
    expect(out).toContain(`Alerts (rules): ${curl} ${base}/api/v1/alerts`);
    expect(out).toContain(`Active alerts:  ${curl} ${base}/api/v1/alerts/active`);
    expect(out).toContain(`Compliance:     ${curl} ${base}/api/v1/compliance`);
    expect(out).toMatch(/Simulated switch 'demo-switch' \(Huawei VRP, SNMPv2c\) at udp:\/\/127\.0\.0\.1:\d+, polled every 15 s/);
    expect(out).toContain(`demo rule XunjianDemoInterfaceDown (${join(data, 'demo-rules.yaml')}, for: 30s)`);
    expect(out).toContain(`Probes: ICMP to ::1 and 127.0.0.1, TCP to the collector (127.0.0.1:${port}), every 15 s.`);
    expect(out).toContain(`Data directory: ${data}`);
    const admin = readFileSync(join(data, 'admin.token'), 'utf8').trim();
    expect(out).not.toContain(admin);
    const nodes = JSON.parse(await get(`${base}/api/v1/nodes`, admin)) as { nodes: { up: boolean }[] };
    expect(nodes.nodes).toHaveLength(1);
    expect(nodes.nodes[0]!.up).toBe(true);
    // the simulated switch, polled by the agent's SNMP source, reaches the collector (first poll within 15 s, then the next report)
    const metrics = await waitFor(
      async () => {
        const m = await get(`${base}/metrics`, admin);
        return (
          /^xunjian_snmp_up\{[^}]*target="demo-switch"[^}]*\} 1$/m.test(m) &&
          /^ifHCInOctets\{[^}]*ifName="GE0\/0\/1"[^}]*target="demo-switch"[^}]*\} \d+$/m.test(m) &&
          m
        );
      },
      60_000,
      'the simulated switch in /metrics',
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${demo.output()}`);
    });
    expect(metrics.match(/^ifHCInOctets\{[^}]*target="demo-switch"/gm)).toHaveLength(4);
    const devices = JSON.parse(await get(`${base}/api/v1/devices`, admin)) as {
      devices: { target: string; vendor: string | null; sysObjectID: string | null }[];
    };
    expect(devices.devices.map((d) => [d.target, d.vendor, d.sysObjectID])).toEqual([['demo-switch', 'huawei', '1.3.6.1.4.1.2011.2.23.1']]);
    expect(metrics).not.toContain(community);
    expect(await demo.stop('SIGINT')).toBe(0);
    expect(demo.output()).not.toContain(community);
  }, 100_000);
});
