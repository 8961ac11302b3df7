import type { Source } from '../../source.js';
import { collectPosture } from './collect.js';
import type { PostureSourceConfig } from './config.js';

/** Facts only (group `host.posture`); the runner sends them when they change. */
export function createPostureSource(cfg: PostureSourceConfig): Source {
  return {
    name: 'posture',
    intervalSeconds: cfg.intervalSeconds,
    async collect() {
      const p = await collectPosture('/', cfg.commandTimeoutSeconds);
      // collectedAt changes every run; keep it out so unchanged facts are not re-sent
      const { collectedAt: _t, ...stable } = p;
      return { samples: [], facts: { 'host.posture': stable } };
    },
  };
}
