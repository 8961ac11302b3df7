import type { Source } from '../../source.js';
import { collectPosture, postureWire } from './collect.js';
import type { PostureSourceConfig } from './config.js';

/** Facts only (group `host.posture`); the runner sends them when they change. */
export function createPostureSource(cfg: PostureSourceConfig): Source {
  return {
    name: 'posture',
    intervalSeconds: cfg.intervalSeconds,
    ...(cfg.schedule ? { schedule: cfg.schedule } : {}),
    async collect() {
      const p = await collectPosture('/', cfg.commandTimeoutSeconds);
      return { samples: [], facts: { 'host.posture': postureWire(p) } };
    },
  };
}
