import { defineSource } from '../../source.js';
import { postureSourceSchema } from './config.js';

/** `sources.posture`: MLPS 2.0 host posture facts, and `xunjian facts` (README.md here). */
export default defineSource({
  schema: postureSourceSchema,
  enabled: (c) => c.enabled,
  create: async (c) => [(await import('./source.js')).createPostureSource(c)],
  commands: { names: ['facts'], register: async () => (await import('./cli.js')).registerFactsCommand },
});
