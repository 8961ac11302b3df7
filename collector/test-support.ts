import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/log.js';
import { type CollectorConfig, collectorConfigSpec } from './config.js';
import { Collector } from './server.js';

/** A collector config on a fresh temp data dir and a free loopback port, with env-style overrides. */
export function testCollectorConfig(env: Record<string, string> = {}): CollectorConfig {
  const dir = mkdtempSync(join(tmpdir(), 'xj-collector-'));
  return loadConfig<CollectorConfig>(collectorConfigSpec, undefined, {
    XUNJIAN_COLLECTOR__LISTEN: '127.0.0.1:0',
    XUNJIAN_COLLECTOR__DATADIR: join(dir, 'data'),
    ...env,
  });
}

/** A listening in-process collector and its base URL. */
export async function startTestCollector(env: Record<string, string> = {}, now?: () => number): Promise<{ collector: Collector; base: string }> {
  const collector = new Collector(testCollectorConfig(env), createLogger({ level: 'error' }), now);
  const addr = await collector.listen();
  return { collector, base: `http://127.0.0.1:${addr.port}` };
}
