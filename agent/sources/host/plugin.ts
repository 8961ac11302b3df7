import { defineSource } from '../../source.js';
import { hostSourceSchema } from './config.js';

/** `sources.host`: node_exporter-named host metrics (README.md here). */
export default defineSource({
  schema: hostSourceSchema,
  enabled: (c) => c.enabled,
  create: async (c) => [(await import('./host.js')).createHostSource(c)],
});
