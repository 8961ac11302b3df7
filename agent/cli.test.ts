import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/config.js';
import { insecureRemote, loadAgentConfig, securityWarnings } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'xj-agentcli-'));
let n = 0;
function load(yaml: string): string {
  const file = join(dir, `agent-${++n}.yaml`);
  writeFileSync(file, yaml);
  try {
    loadAgentConfig(file, {});
    return 'ok';
  } catch (e) {
    if (e instanceof ConfigError) return e.message.replace(file, 'FILE');
    throw e;
  }
}

describe('plain HTTP to a remote collector', () => {
  it.each([
    ['http://127.0.0.1:9700', false],
    ['http://127.8.9.10:9700', false],
    ['http://[::1]:9700', false],
    ['http://localhost:9700', false],
    ['https://collector.city.example', false],
    ['http://collector.city.example:9700', true],
    ['http://10.1.2.3:9700', true],
    ['http://[2001:db8::1]:9700', true],
  ])('%s insecure: %s', (url, insecure) => expect(insecureRemote(url)).toBe(insecure));

  it.each([
    ['collector:\n  url: http://127.0.0.1:9700\n', 'ok'],
    ['collector:\n  url: https://collector.city.example\n', 'ok'],
    [
      'collector:\n  url: http://collector.city.example:9700\n',
      'config error in FILE: collector.url: an https:// URL for a collector that is not on this host (http://collector.city.example:9700 would carry the bearer token, from which the report signing key is derived, in clear text); set collector.allowInsecureHttp: true to accept that',
    ],
    ['collector:\n  url: http://collector.city.example:9700\n  allowInsecureHttp: true\n', 'ok'],
    [
      'collectors:\n  - { url: "https://a.example" }\n  - { url: "http://10.0.0.2:9700" }\n',
      'config error in FILE: collectors.1.url: an https:// URL for a collector that is not on this host (http://10.0.0.2:9700 would carry the bearer token, from which the report signing key is derived, in clear text); set collectors.1.allowInsecureHttp: true to accept that',
    ],
  ])('%j → %s', (yaml, want) => expect(load(yaml)).toBe(want));
});

describe('source cron schedules', () => {
  it.each([
    ['sources:\n  posture:\n    schedule: "0 3 * * *"\n', 'ok'],
    ['sources:\n  ipv6check:\n    schedule: "0 2 * * 0"\n', 'ok'],
    [
      'sources:\n  posture:\n    schedule: nightly\n',
      "config error in FILE: sources.posture.schedule: a cron expression (minute hour day-of-month month day-of-week, optionally seconds first), got 'nightly'",
    ],
    [
      'sources:\n  ipv6check:\n    schedule: "*/5 * * * * *"\n',
      "config error in FILE: sources.ipv6check.schedule: runs at least 60 s apart; '*/5 * * * * *' fires 5 s apart",
    ],
  ])('%j → %s', (yaml, want) => expect(load(yaml)).toBe(want));
});

describe('security warnings at start', () => {
  const cfgWith = (yaml: string) => {
    const file = join(dir, `agent-${++n}.yaml`);
    writeFileSync(file, yaml);
    return loadAgentConfig(file, {});
  };
  it('a token file readable by group or others is named with its mode; 0600 is quiet', () => {
    const token = join(dir, 'town.token');
    writeFileSync(token, 'xj1_secret\n');
    chmodSync(token, 0o644);
    const cfg = cfgWith(`collector:\n  tokenFile: ${token}\n`);
    expect(securityWarnings(cfg)).toEqual([
      { message: 'token file is readable by group or others: chmod 600 it', fields: { key: 'collector.tokenFile', file: token, mode: '644' } },
    ]);
    chmodSync(token, 0o600);
    expect(securityWarnings(cfg)).toEqual([]);
    expect(JSON.stringify(securityWarnings(cfgWith(`collector:\n  tokenFile: ${token}\n`)))).not.toContain('xj1_secret');
  });
  it('allowInsecureHttp to a remote collector is warned about', () => {
    const cfg = cfgWith('collector:\n  url: http://10.0.0.9:9700\n  allowInsecureHttp: true\n');
    expect(securityWarnings(cfg).map((w) => w.fields.key)).toEqual(['collector.url']);
  });
});

describe('source factories', () => {
  it("a factory's error is a config error naming the file and the key", async () => {
    const { buildSources } = await import('./sources/index.js');
    const profiles = mkdtempSync(join(tmpdir(), 'xj-prof-'));
    writeFileSync(
      join(profiles, 'vlan.yaml'),
      'name: vlan\nmatch: []\ntables:\n  - { name: vlanTable, entry: 1.3.6.1.4.1.9.9.46.1.3.1.1, indexes: [{ label: vlanIndex, type: integer }], columns: [{ column: 2, name: vtpVlanState, type: gauge }] }\n',
    );
    const file = join(dir, `agent-${++n}.yaml`);
    writeFileSync(
      file,
      `sources:\n  host: { enabled: false }\n  posture: { enabled: false }\n  snmp:\n    profilesDir: ${profiles}\n    credentials: { c: { version: "2c", community: x } }\n    targets:\n      - { name: sw, address: "udp://127.0.0.1", credential: c, labels: { vlanIndex: "1" } }\n`,
    );
    const cfg = loadAgentConfig(file, {});
    const err = await buildSources(cfg, file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(
      `config error in ${file}: sources.snmp.targets.0.labels.vlanIndex: a label no profile sets: a table of the profiles (profilesDir ${profiles}) sets 'vlanIndex' on its series, which a target label cannot overwrite; use another name (e.g. device_vlanIndex)`,
    );
  });
});
