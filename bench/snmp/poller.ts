/**
 * bench:snmp's Xunjian poller, in a process of its own so that its CPU time is read from /proc/PID/stat
 * exactly as snmp_exporter's is (and the benchmark's own work — HTTP client, parsing the exporter's
 * text — is not counted against it). Runs with the agent launcher's V8 flags, keeps a session per
 * device as the agent's source does. One request per stdin line, `COMMUNITY`; one JSON line back:
 * `{"ok", "error"?, "varbinds", "tableVarbinds", "series", "cpuUs"}` (cpuUs: the process's CPU time
 * during the poll itself, µs, to tell the poll from the rest).
 *   node dist/bench/snmp/poller.js HOST:PORT
 */
// first: the agent launcher's V8 flags, before the measured modules load
import './agent-flags.js';
import { createInterface } from 'node:readline';
import { SessionKeeper, parseEndpoint } from '../../agent/sources/snmp/client.js';
import { scrapeDevice } from '../../agent/sources/snmp/device.js';
import { loadProfiles } from '../../agent/sources/snmp/profiles.js';

const target = process.argv[2];
if (!target) throw new Error('usage: poller.js HOST:PORT');
const endpoint = parseEndpoint(`udp://${target}`);
const profiles = loadProfiles();
const keepers = new Map<string, SessionKeeper>();
// the agent's defaults (sources.snmp: timeoutSeconds 5, retries 1, maxRepetitions 25, walkConcurrency 4,
// walkOidsPerRequest 4, deadline 0.8 × intervalSeconds 60)
const AGENT = { timeoutMs: 5000, retries: 1, maxRepetitions: 25, walkConcurrency: 4, walkOidsPerRequest: 4, deadlineMs: 48_000 };

for await (const line of createInterface({ input: process.stdin })) {
  const community = line.trim();
  if (!community) continue;
  const keeper = keepers.get(community) ?? new SessionKeeper();
  keepers.set(community, keeper);
  const c0 = process.cpuUsage();
  const r = await scrapeDevice({
    endpoint,
    credential: { version: '2c', community },
    ...AGENT,
    profiles,
    use: ['if_mib'],
    labels: { target: 'bench' },
    keeper,
  });
  const c = process.cpuUsage(c0);
  // the walked varbinds inside the tables (without the sysUpTime GET): snmp_exporter's count
  let tableVarbinds = 0;
  for (const oid of r.varbinds.keys()) if (!oid.startsWith('1.3.6.1.2.1.1.')) tableVarbinds++;
  process.stdout.write(
    `${JSON.stringify({ ok: r.ok, error: r.error, varbinds: r.stats.varbinds, tableVarbinds, series: r.samples.length, cpuUs: c.user + c.system })}\n`,
  );
}
for (const k of keepers.values()) k.drop();
