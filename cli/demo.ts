import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadAgentConfig } from '../agent/cli.js';
import { Agent, nodeIdentity } from '../agent/runtime/agent.js';
import { buildSources } from '../agent/sources/index.js';
import { loadCollectorConfig, runCollector } from '../collector/cli.js';
import { createLogger } from '../lib/log.js';
import { startDemoSwitch } from './demo-switch.js';

/** The simulated switch's target name (series label `target`, device id). */
export const DEMO_SWITCH = 'demo-switch';

/**
 * A demo rule: the shipped XunjianInterfaceDown waits 2 m (`for: 2m`), longer than the simulated
 * switch's 60 s outage; this copy waits 30 s and is evaluated every 15 s, so an alert fires and
 * resolves within two minutes of the interface going down. The shipped rule stays as it is.
 */
export const DEMO_RULES = `# Written by \`xunjian demo\` (cli/demo.ts): demo-only rules, a short-\`for\` copy of XunjianInterfaceDown.
groups:
  - name: xunjian-demo
    interval: 15s
    rules:
      - alert: XunjianDemoInterfaceDown
        expr: (ifOperStatus == 2 or ifOperStatus == 7) and ifAdminStatus == 1
        for: 30s
        labels:
          severity: warning
          category: network
        annotations:
          summary: "Interface {{ $labels.ifName }} of {{ $labels.target }} is down while admin-up (demo rule, for: 30s)"
          summary_zh: "设备 {{ $labels.target }} 的接口 {{ $labels.ifName }} 管理状态为启用但运行状态为中断（演示规则，持续 30 秒）"
          runbook_url: "rules/alerts/README.md#xunjianinterfacedown"
`;

/** `xunjian demo`: a collector and a local agent on loopback, embedded defaults, one data directory. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('start a collector and a local agent on loopback with embedded defaults (what `npm start` runs)')
    .option('--data-dir <dir>', 'data directory', 'data/demo')
    .option('--listen <host:port>', 'collector address', '127.0.0.1:9700')
    .option('--interval <seconds>', 'agent report interval', '15')
    .action(async (opts: { dataDir: string; listen: string; interval: string }) => {
      mkdirSync(opts.dataDir, { recursive: true });
      const rulesFile = join(opts.dataDir, 'demo-rules.yaml');
      writeFileSync(rulesFile, DEMO_RULES);
      const ccfg = loadCollectorConfig(undefined, {
        XUNJIAN_COLLECTOR__LISTEN: opts.listen,
        XUNJIAN_COLLECTOR__DATADIR: opts.dataDir,
        XUNJIAN_COLLECTOR__RULES__FILES: JSON.stringify([rulesFile]),
        ...process.env,
      });
      const collector = await runCollector(ccfg);
      // The simulated switch (in process, loopback, random SNMPv2c community that is never printed).
      // (XUNJIAN_DEMO_SWITCH_COMMUNITY sets it, for the e2e test that checks it never appears in the output)
      const sw = await startDemoSwitch({ host: '127.0.0.1', community: process.env.XUNJIAN_DEMO_SWITCH_COMMUNITY || undefined });
      const collectorPort = opts.listen.slice(opts.listen.lastIndexOf(':') + 1);
      const collectorHost = opts.listen.slice(0, opts.listen.lastIndexOf(':')).replace(/^\[|\]$/g, '');
      const probes = [
        { name: 'loopback-v6', type: 'icmp', target: '::1', ip: 6, intervalSeconds: 15, count: 3 },
        { name: 'loopback-v4', type: 'icmp', target: '127.0.0.1', ip: 4, intervalSeconds: 15, count: 3 },
        {
          name: 'collector',
          type: 'tcp',
          target: `${collectorHost.includes(':') ? `[${collectorHost}]` : collectorHost}:${collectorPort}`,
          ip: collectorHost.includes(':') ? 6 : 4,
          intervalSeconds: 15,
        },
      ];
      const acfg = loadAgentConfig(undefined, {
        XUNJIAN_AGENT__DATADIR: join(opts.dataDir, 'agent'),
        XUNJIAN_AGENT__REPORT__INTERVALSECONDS: opts.interval,
        XUNJIAN_AGENT__SOURCES__HOST__INTERVALSECONDS: opts.interval,
        XUNJIAN_AGENT__SOURCES__PROBES__TARGETS: JSON.stringify(probes),
        ...process.env,
      });
      // set in the loaded config, not through a config string: the community is never in a file or an env var
      acfg.sources.snmp.credentials = { ...acfg.sources.snmp.credentials, demo: { version: '2c', community: sw.community } };
      acfg.sources.snmp.targets = [
        ...acfg.sources.snmp.targets,
        { name: DEMO_SWITCH, address: sw.address, credential: 'demo', profiles: ['system', 'if_mib'], intervalSeconds: 15 },
      ];
      const base = `http://${opts.listen}`;
      const sources = await buildSources(acfg);
      const log = createLogger(acfg.log).child({ component: 'agent' });
      const nodeId = nodeIdentity(acfg).id;
      collector.store.revokeTokens(nodeId);
      const token = collector.store.createToken(nodeId);
      // An admin API token for the person trying it, in a 0600 file (every read of fleet data needs one).
      collector.store.apiTokens.revoke('demo-admin');
      const adminTokenFile = join(opts.dataDir, 'admin.token');
      rmSync(adminTokenFile, { force: true });
      writeFileSync(adminTokenFile, `${collector.store.apiTokens.create('demo-admin', 'admin').token}\n`, { mode: 0o600 });
      const curl = `curl -H "Authorization: Bearer $(cat ${adminTokenFile})"`;
      const target = { url: base, token, signature: acfg.collector.signature, timeoutMs: acfg.collector.timeoutSeconds * 1000 };
      let agent: Agent | undefined;
      let first = true;
      const ready = new Promise<void>((resolve) => {
        agent = new Agent(acfg, sources, log, target, {
          onAck: (seq) => {
            if (!first) return;
            first = false;
            resolve();
            process.stdout.write(
              [
                '',
                `Xunjian demo is running. First report (seq ${seq}) from node '${nodeId}' arrived.`,
                `  Admin API token: ${adminTokenFile} (role admin; every route but /healthz needs a token)`,
                `  Fleet metrics:  ${curl} ${base}/metrics`,
                `  Nodes (JSON):   ${curl} ${base}/api/v1/nodes`,
                `  Node facts:     ${curl} ${base}/api/v1/nodes/${nodeId}/facts`,
                `  Devices:        ${curl} ${base}/api/v1/devices`,
                `  Alerts (rules): ${curl} ${base}/api/v1/alerts`,
                `  Active alerts:  ${curl} ${base}/api/v1/alerts/active`,
                `  Compliance:     ${curl} ${base}/api/v1/compliance`,
                `  Simulated switch '${DEMO_SWITCH}' (Huawei VRP, SNMPv2c) at ${sw.address}, polled every 15 s; its interface GE0/0/3`,
                `    goes down for 60 s every 3 min: demo rule XunjianDemoInterfaceDown (${rulesFile}, for: 30s) fires and resolves.`,
                `  Probes: ICMP to ::1 and 127.0.0.1, TCP to the collector (${opts.listen}), every 15 s.`,
                `  Health:         ${base}/healthz`,
                `  Data directory: ${opts.dataDir}`,
                '  Stop with Ctrl-C.',
                '',
              ].join('\n'),
            );
          },
        });
      });
      // listening before the agent starts: the banner (first acknowledgement) may come before start() returns
      const stopped = new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await agent!.start();
      await ready;
      await stopped;
      await agent!.stop();
      await sw.close();
      await collector.close();
    });
}
