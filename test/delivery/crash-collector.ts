/**
 * Test fixture: `xunjian collector` with one more hosted component that kills the process (SIGKILL) in
 * the fan-out of the first accepted report — after its transaction committed, before any consumer
 * saw it and before the agent got its answer. Usage: node crash-collector.js CONFIG
 */
import { loadCollectorConfig } from '../../collector/cli.js';
import { COMPONENTS } from '../../collector/components.js';
import { Collector } from '../../collector/server.js';
import { createLogger } from '../../lib/log.js';

const cfg = loadCollectorConfig(process.argv[2]);
const log = createLogger(cfg.log);
const crash = () => ({
  name: 'crash',
  append: () => {
    log.info('crash fixture: SIGKILL between commit and fan-out');
    process.kill(process.pid, 'SIGKILL');
  },
});
const c = new Collector(cfg, log, Date.now, undefined, [crash, ...COMPONENTS]);
await c.listen();
log.info('collector listening', {});
