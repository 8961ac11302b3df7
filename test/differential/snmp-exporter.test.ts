import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEndpoint } from '../../agent/sources/snmp/client.js';
import { scrapeDevice } from '../../agent/sources/snmp/device.js';
import { loadProfiles } from '../../agent/sources/snmp/profiles.js';
import { withFreePort } from '../helpers/net.js';
import { waitFor } from '../helpers/proc.js';
import { type Peer, startSnmpsim } from '../helpers/snmp-peers.js';

/**
 * Differential test: for the same recorded devices, Xunjian's if_mib profile and Debian's
 * prometheus-snmp-exporter with the hand-written equivalent module (snmp-exporter.yml) must report
 * the same series — names, label sets and values.
 */
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
let sim: Peer;
let exporter: ReturnType<typeof spawn>;
let exporterUrl = '';
const DEVICES = ['cisco', 'huawei'];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xj-diff-'));
  const cisco = join(dir, 'cisco.snmprec');
  writeFileSync(cisco, gunzipSync(readFileSync('/usr/share/doc/snmpsim/examples/data/cisco_16_switch.snmprec.gz')));
  sim = await startSnmpsim({ cisco, huawei: here('../../agent/sources/snmp/testdata/huawei.snmprec') });
  const template = readFileSync(here('./snmp-exporter.yml'), 'utf8');
  const modules = DEVICES.map((d) =>
    template
      .replace(/^if_mib:/m, `if_mib_${d}:`)
      .replace('COMMUNITY', d)
      .replace(/^#.*\n/gm, ''),
  ).join('\n');
  writeFileSync(join(dir, 'snmp.yml'), modules);
  // the port is chosen before snmp_exporter binds it: another one when it was taken meanwhile
  await withFreePort(async (port) => {
    exporterUrl = `http://127.0.0.1:${port}`;
    const p = spawn('prometheus-snmp-exporter', [`--config.file=${join(dir, 'snmp.yml')}`, `--web.listen-address=127.0.0.1:${port}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    exporter = p;
    let err = '';
    p.stderr!.on('data', (d) => (err += d));
    await waitFor(
      async () => {
        if (p.exitCode !== null) throw new Error(`snmp_exporter exited ${p.exitCode}: ${err}`);
        return (await request(`${exporterUrl}/`)).statusCode === 200;
      },
      15_000,
      'snmp_exporter',
    );
  });
}, 90_000);
afterAll(async () => {
  exporter?.kill();
  await sim?.stop();
});

/** name{sorted labels} → value, from Prometheus text exposition. */
function parseExposition(text: string, names: Set<string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || !names.has(m[1]!)) continue;
    const labels = [...(m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((x) => `${x[1]}=${x[2]}`).sort();
    out.set(`${m[1]}{${labels.join(',')}}`, Number(m[3]));
  }
  return out;
}

describe('Xunjian vs snmp_exporter on the same recordings', () => {
  const profiles = loadProfiles();
  const names = new Set(profiles.get('if_mib')!.tables!.flatMap((t) => t.columns.map((c) => c.name)));

  it.each(DEVICES)('%s: identical if_mib series', async (device) => {
    const res = await request(`${exporterUrl}/snmp?target=127.0.0.1:${sim.port}&module=if_mib_${device}`);
    expect(res.statusCode).toBe(200);
    const theirs = parseExposition(await res.body.text(), names);
    const r = await scrapeDevice({
      endpoint: parseEndpoint(`udp://127.0.0.1:${sim.port}`),
      credential: { version: '2c', community: device },
      timeoutMs: 5000,
      retries: 1,
      maxRepetitions: 25,
      walkConcurrency: 4,
      profiles,
      use: ['if_mib'],
      labels: {},
    });
    expect(r.error).toBeUndefined();
    const ours = new Map(
      r.samples.map((s) => [
        `${s.name}{${Object.entries(s.labels)
          .map(([k, v]) => `${k}=${v}`)
          .sort()
          .join(',')}}`,
        s.value,
      ]),
    );
    expect(theirs.size).toBeGreaterThan(20);
    expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
    for (const [k, v] of theirs) expect(ours.get(k), k).toBe(v);
  });
});
