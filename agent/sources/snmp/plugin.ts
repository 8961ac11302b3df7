import { defineSource } from '../../source.js';
import { snmpSourceSchema, validateSnmp } from './config.js';

/** `sources.snmp`: SNMP polling of network devices, and `xunjian snmp poll|walk` (README.md here). net-snmp loads only with targets. */
export default defineSource({
  schema: snmpSourceSchema,
  enabled: (c) => c.targets.length > 0,
  validate: validateSnmp,
  create: async (c) => (await import('./source.js')).createSnmpSources(c),
  commands: { names: ['snmp'], register: async () => (await import('./cli.js')).registerSnmpCommand },
});
