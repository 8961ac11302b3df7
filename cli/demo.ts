import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadAgentConfig } from '../agent/cli.js';
import { Agent, nodeIdentity } from '../agent/runtime/agent.js';
import { buildSources } from '../agent/sources/index.js';
import { loadCollectorConfig, runCollector } from '../collector/cli.js';
import { createLogger } from '../lib/log.js';

/** `xunjian demo`: a collector and a local agent on loopback, embedded defaults, one data directory. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('start a collector and a local agent on loopback with embedded defaults (what `npm start` runs)')
    .option('--data-dir <dir>', 'data directory', 'data/demo')
    .option('--listen <host:port>', 'collector address', '127.0.0.1:9700')
    .option('--interval <seconds>', 'agent report interval', '15')
    .action(async (opts: { dataDir: string; listen: string; interval: string }) => {
      const ccfg = loadCollectorConfig(undefined, { XUNJIAN_COLLECTOR__LISTEN: opts.listen, XUNJIAN_COLLECTOR__DATADIR: opts.dataDir, ...process.env });
      const collector = await runCollector(ccfg);
      const acfg = loadAgentConfig(undefined, {
        XUNJIAN_AGENT__DATADIR: join(opts.dataDir, 'agent'),
        XUNJIAN_AGENT__REPORT__INTERVALSECONDS: opts.interval,
        XUNJIAN_AGENT__SOURCES__HOST__INTERVALSECONDS: opts.interval,
        ...process.env,
      });
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
      await collector.close();
    });
}
