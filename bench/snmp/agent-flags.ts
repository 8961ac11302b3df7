/**
 * The agent's V8 flags, applied as bin/xunjian.js applies them for `xunjian agent` (imported first by
 * the SNMP benchmarks, before the modules they measure are loaded). Read from bin/xunjian.js so the
 * benchmark cannot drift from the launcher.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

const launcher = readFileSync(new URL('../../../bin/xunjian.js', import.meta.url), 'utf8');
const m = /const AGENT_V8_FLAGS = '([^']*)';/.exec(launcher);
if (!m) throw new Error("bin/xunjian.js: AGENT_V8_FLAGS not found (the benchmark applies the agent launcher's V8 flags)");
export const AGENT_V8_FLAGS = m[1]!;
for (const f of AGENT_V8_FLAGS.split(' ').filter(Boolean)) setFlagsFromString(f);
