/**
 * bench:snmp — CPU seconds per 100k varbinds polled: Xunjian's SNMP poller vs prometheus-snmp-exporter
 * doing identical work (the if_mib module / profile on the same recorded device, same max-repetitions), measured
 * in the same run. Each poller's own CPU time is measured (process.cpuUsage for ours, /proc/PID/stat
 * for snmp_exporter), not wall time, so the simulator's speed does not matter.
 *   npm run bench:snmp [-- ROUNDS]
 */
// first: the agent launcher's V8 flags, before the measured modules load
import './agent-flags.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { parseEndpoint } from '../../agent/sources/snmp/client.js';
import { scrapeDevice } from '../../agent/sources/snmp/device.js';
import { loadProfiles } from '../../agent/sources/snmp/profiles.js';
import { gunzipSync } from 'node:zlib';
import { startSnmpsim } from '../../test/helpers/snmp-peers.js';
import { freePort } from '../../test/helpers/net.js';
import { waitFor } from '../../test/helpers/proc.js';

const rounds = Number(process.argv[2] ?? 200);
const ticks = 100; // USER_HZ

function procCpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / ticks;
}

const dir = mkdtempSync(join(tmpdir(), 'xj-bench-'));
// the Cisco 3750 recording: 55 interfaces, ~1500 varbinds per IF-MIB poll
writeFileSync(join(dir, 'cisco.snmprec'), gunzipSync(readFileSync('/usr/share/doc/snmpsim/examples/data/cisco_16_switch.snmprec.gz')));
const COMMUNITY = 'cisco';
const snmpd = await startSnmpsim({ cisco: join(dir, 'cisco.snmprec') });
const template = readFileSync(fileURLToPath(new URL('../../../test/differential/snmp-exporter.yml', import.meta.url)), 'utf8');
writeFileSync(join(dir, 'snmp.yml'), template.replace('COMMUNITY', COMMUNITY).replace(/^#.*\n/gm, ''));
const port = await freePort();
const exp = spawn('prometheus-snmp-exporter', [`--config.file=${join(dir, 'snmp.yml')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=error'], {
  stdio: 'ignore',
});
try {
  await waitFor(async () => (await request(`http://127.0.0.1:${port}/`)).statusCode === 200, 15_000, 'snmp_exporter');
  const target = `127.0.0.1:${snmpd.port}`;
  const profiles = loadProfiles();
  const opts = {
    endpoint: parseEndpoint(`udp://${target}`),
    credential: { version: '2c' as const, community: COMMUNITY },
    timeoutMs: 5000,
    retries: 1,
    maxRepetitions: 25,
    walkConcurrency: 1,
    profiles,
    use: ['if_mib'],
    labels: {},
  };

  // warm-up both
  await scrapeDevice(opts);
  await (await request(`http://127.0.0.1:${port}/snmp?target=${target}&module=if_mib`)).body.text();

  let ourVarbinds = 0;
  const c0 = process.cpuUsage();
  for (let i = 0; i < rounds; i++) ourVarbinds += (await scrapeDevice(opts)).stats.varbinds;
  const c1 = process.cpuUsage(c0);
  const ours = (c1.user + c1.system) / 1e6;

  let theirVarbinds = 0;
  const e0 = procCpuSeconds(exp.pid!);
  for (let i = 0; i < rounds; i++) {
    const text = await (await request(`http://127.0.0.1:${port}/snmp?target=${target}&module=if_mib`)).body.text();
    theirVarbinds += Number(/^snmp_scrape_pdus_returned (\d+)/m.exec(text)?.[1] ?? 0);
  }
  const theirs = procCpuSeconds(exp.pid!) - e0;

  const per = (cpu: number, vb: number) => (cpu / vb) * 100_000;
  console.log(`rounds: ${rounds} polls of IF-MIB (ifTable + ifXTable) from snmpsimd (Cisco 3750 recording) over loopback`);
  console.log(`xunjian:       ${ourVarbinds} varbinds, CPU ${ours.toFixed(3)} s → ${per(ours, ourVarbinds).toFixed(3)} CPU s per 100k varbinds`);
  console.log(`snmp_exporter: ${theirVarbinds} varbinds, CPU ${theirs.toFixed(3)} s → ${per(theirs, theirVarbinds).toFixed(3)} CPU s per 100k varbinds`);
  console.log(`ratio (xunjian ÷ snmp_exporter CPU per varbind): ${(per(ours, ourVarbinds) / per(theirs, theirVarbinds)).toFixed(3)}`);
} finally {
  exp.kill();
  await snmpd.stop();
}
