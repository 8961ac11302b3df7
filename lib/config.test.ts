import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { type AgentConfig, agentConfigSpec } from '../agent/config.js';
import { collectorConfigSpec } from '../collector/config.js';
import { ConfigError, loadConfig, renderDefaultConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'xj-config-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('config loading', () => {
  it('fills every default when no file is given', () => {
    const cfg = loadConfig<AgentConfig>(agentConfigSpec, undefined, {});
    expect(cfg.collector.url).toBe('http://127.0.0.1:9700');
    expect(cfg.report.intervalSeconds).toBe(60);
    expect(cfg.node.zone).toBe('extranet');
    expect(cfg.node.grade).toBe(3);
    expect(cfg.sources.host.enabled).toBe(true);
  });

  it('merges a file over the defaults', () => {
    const f = file('ok.yaml', 'node:\n  id: town-01\n  site: 城关镇\n  grade: 2\nreport:\n  intervalSeconds: 30\n');
    const cfg = loadConfig<AgentConfig>(agentConfigSpec, f, {});
    expect(cfg.node).toEqual({ id: 'town-01', site: '城关镇', zone: 'extranet', grade: 2, labels: {} });
    expect(cfg.report.intervalSeconds).toBe(30);
    expect(cfg.report.maxBufferedSamples).toBe(500000);
  });

  it.each([
    ['wrong type', 'report:\n  intervalSeconds: soon\n', 'report.intervalSeconds', "expected integer, got 'soon'"],
    ['enum', 'node:\n  zone: internet\n', 'node.zone', "expected one of 'gov-cloud', 'extranet', 'other', got 'internet'"],
    ['grade', 'node:\n  grade: 4\n', 'node.grade', 'expected one of 2, 3, got 4'],
    ['unknown key', 'colector:\n  url: http://x\n', '', "unknown key 'colector'"],
    [
      'unknown nested key',
      'collector:\n  uri: http://x\n',
      'collector',
      "unknown key 'uri' (expected one of: url, token, tokenFile, signature, timeoutSeconds, allowInsecureHttp, name, caFile, pinnedCaSha256, certFile, keyFile)",
    ],
    ['pattern with words', 'collector:\n  url: ftp://x\n', 'collector.url', "expected an http:// or https:// URL, got 'ftp://x'"],
    ['minimum', 'report:\n  maxBufferedSamples: 5\n', 'report.maxBufferedSamples', 'expected a value that must be >= 1000, got 5'],
    ['label name', 'node:\n  labels:\n    bad-name: x\n', 'node.labels', "invalid key name 'bad-name': expected a name matching ^[a-zA-Z_][a-zA-Z0-9_]*$"],
  ])('rejects %s naming file, key and expectation', (_name, yaml, key, expected) => {
    const f = file(`bad-${key || 'top'}.yaml`, yaml);
    const e = errorOf(() => loadConfig(agentConfigSpec, f, {}));
    expect(e.source).toBe(f);
    expect(e.key).toBe(key);
    expect(e.expected).toContain(expected);
    expect(e.message).toContain(f);
  });

  it('never prints the value of a secret key', () => {
    const f = file('secret.yaml', 'collector:\n  token: 12345\n');
    const e = errorOf(() => loadConfig(agentConfigSpec, f, {}));
    expect(e.key).toBe('collector.token');
    expect(e.message).toBe(`config error in ${f}: collector.token: expected string`);
    expect(e.message).not.toContain('12345');
  });

  it('reports YAML syntax errors with line and column', () => {
    const f = file('syntax.yaml', 'node:\n  id: a\n   site: b\n');
    const e = errorOf(() => loadConfig(agentConfigSpec, f, {}));
    expect(e.source).toBe(`${f}:2:7`);
    expect(e.expected).toBe('invalid YAML: Nested mappings are not allowed in compact mappings');
  });

  it('rejects a file that is not a mapping and a missing file', () => {
    expect(errorOf(() => loadConfig(agentConfigSpec, file('list.yaml', '- a\n'), {})).expected).toBe('expected a mapping of agent settings at the top level');
    expect(errorOf(() => loadConfig(agentConfigSpec, join(dir, 'nope.yaml'), {})).expected).toBe('cannot read file: ENOENT');
  });

  it('applies environment overrides case-insensitively and names the variable on error', () => {
    const cfg = loadConfig<AgentConfig>(agentConfigSpec, undefined, { XUNJIAN_AGENT__REPORT__INTERVALSECONDS: '15', XUNJIAN_AGENT__NODE__ID: '0042' });
    expect(cfg.report.intervalSeconds).toBe(15);
    expect(cfg.node.id).toBe('0042');
    const e = errorOf(() => loadConfig(agentConfigSpec, undefined, { XUNJIAN_AGENT__REPORT__INTERVALSECONDS: 'x' }));
    expect(e.source).toBe('environment variable XUNJIAN_AGENT__REPORT__INTERVALSECONDS');
    expect(e.key).toBe('report.intervalSeconds');
    const u = errorOf(() => loadConfig(agentConfigSpec, undefined, { XUNJIAN_AGENT__REPORT__EVERY: '1' }));
    expect(u.expected).toBe('no such key under report (expected one of: intervalSeconds, maxBufferedSamples, factsRefreshHours)');
  });

  it('checks SNMP targets against the credentials and address forms', async () => {
    const { loadAgentConfig } = await import('../agent/cli.js');
    const f = file(
      'snmp.yaml',
      'sources:\n  snmp:\n    credentials:\n      lab: { version: "2c", community: secret-c }\n    targets:\n      - { name: sw1, address: "udp://127.0.0.1:161", credential: lab }\n      - { name: sw2, address: "udp://127.0.0.1:161", credential: labb }\n',
    );
    const e = errorOf(() => loadAgentConfig(f, {}));
    expect(e.key).toBe('sources.snmp.targets.1.credential');
    expect(e.expected).toBe("expected one of the names in sources.snmp.credentials (lab), got 'labb'");
    expect(e.message).not.toContain('secret-c');
  });

  it('checks that a probe round fits its schedule and that its CA file is readable', async () => {
    const { loadAgentConfig } = await import('../agent/cli.js');
    const long = file(
      'probe-long.yaml',
      'sources:\n  probes:\n    targets:\n      - { name: gw, type: icmp, target: "::1", count: 100, intervalSeconds: 60 }\n',
    );
    const e = errorOf(() => loadAgentConfig(long, {}));
    expect(e.key).toBe('sources.probes.targets.0');
    expect(e.expected).toBe("count × packetIntervalSeconds + timeoutSeconds (100 × 0.5 + 5 = 55 s) below 0.9 × intervalSeconds (54 s) of probe 'gw'");
    const ca = file(
      'probe-ca.yaml',
      `sources:\n  probes:\n    targets:\n      - { name: web, type: http, target: "https://[::1]/", caFile: ${join(dir, 'no-ca.pem')} }\n`,
    );
    const c = errorOf(() => loadAgentConfig(ca, {}));
    expect(c.key).toBe('sources.probes.targets.0.caFile');
    expect(c.expected).toBe(`a readable PEM file; cannot read ${join(dir, 'no-ca.pem')}: ENOENT`);
  });

  it.each([agentConfigSpec, collectorConfigSpec])('prints a default config that loads back to the defaults ($kind)', (spec) => {
    const text = renderDefaultConfig(spec, 'test');
    const f = file(`default-${spec.kind}.yaml`, text);
    expect(loadConfig(spec, f, {})).toEqual(loadConfig(spec, undefined, {}));
    expect(Object.keys(YAML.parse(text))).toEqual(Object.keys(spec.schema.properties));
    expect(text).toContain('# ');
  });
});
