import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { collectorConfigSpec } from '../collector/config.js';
import { makeAjv } from '../lib/ajv.js';
import { validateConfig } from '../lib/config.js';

const DIR = new URL('./', import.meta.url).pathname;
const read = (f: string) => readFileSync(join(DIR, f), 'utf8');

function run(cmd: string, args: string[]): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd} cannot run (install it: scripts/install-test-deps.sh): ${r.error.message}`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('deploy/ (validated with the real tools)', () => {
  it('prometheus.yml passes promtool check config (syntax, then with its token file present), with the remote-write out-of-order window', () => {
    const syntax = run('promtool', ['check', 'config', '--syntax-only', join(DIR, 'prometheus/prometheus.yml')]);
    expect(syntax.out).toContain('SUCCESS');
    expect(syntax.code).toBe(0);
    const tmp = mkdtempSync(join(tmpdir(), 'xj-deploy-'));
    writeFileSync(join(tmp, 'metrics-token'), 'x'.repeat(64));
    const f = join(tmp, 'prometheus.yml');
    writeFileSync(f, read('prometheus/prometheus.yml').replaceAll('/run/secrets/metrics-token', join(tmp, 'metrics-token')));
    const full = run('promtool', ['check', 'config', f]);
    expect(full.out).toContain('SUCCESS');
    expect(full.code).toBe(0);
    const cfg = YAML.parse(read('prometheus/prometheus.yml'));
    expect(cfg.storage.tsdb.out_of_order_time_window).toBe('24h');
  });

  it('alertmanager.yml passes amtool check-config', () => {
    const r = run('amtool', ['check-config', join(DIR, 'alertmanager/alertmanager.yml')]);
    expect(r.out).toContain('SUCCESS');
    expect(r.out).toContain('3 receivers');
    expect(r.code).toBe(0);
  });

  it('the systemd units pass systemd-analyze verify; the agent gets CAP_NET_RAW and CAP_DAC_READ_SEARCH, the collector nothing', () => {
    const units = ['xunjian-agent.service', 'xunjian-collector.service'].map((u) => join(DIR, 'systemd', u));
    const r = run('systemd-analyze', ['verify', ...units]);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
    const keys = (u: string) => {
      const m = new Map<string, string[]>();
      for (const line of read(`systemd/${u}`).split('\n')) {
        const x = /^([A-Za-z]+)=(.*)$/.exec(line);
        if (x) m.set(x[1]!, [...(m.get(x[1]!) ?? []), x[2]!]);
      }
      return m;
    };
    const agent = keys('xunjian-agent.service');
    const collector = keys('xunjian-collector.service');
    for (const k of [agent, collector]) {
      expect(k.get('NoNewPrivileges')).toEqual(['yes']);
      expect(k.get('ProtectSystem')).toEqual(['strict']);
      expect(k.get('User')).toEqual(['xunjian']);
    }
    expect(agent.get('CapabilityBoundingSet')).toEqual(['CAP_NET_RAW CAP_DAC_READ_SEARCH']);
    expect(agent.get('AmbientCapabilities')).toEqual(['CAP_NET_RAW CAP_DAC_READ_SEARCH']);
    expect(collector.get('CapabilityBoundingSet')).toEqual(['']);
    expect(collector.get('AmbientCapabilities')).toEqual(['']);
    // systemd's own exposure score (0 safest … 10): both "OK"
    for (const u of units) expect(run('systemd-analyze', ['security', '--offline=yes', u]).out).toMatch(/Overall exposure level for .*: [0-3]\.\d OK/);
  });

  it('compose.yaml validates against the compose-spec JSON Schema (vendored), mounts what exists, publishes only ingest beyond loopback', () => {
    const schema = JSON.parse(read('schema/compose-spec.json'));
    // draft-07, named by its https URL, which ajv knows as http://json-schema.org/draft-07/schema#
    expect(schema.$schema).toBe('https://json-schema.org/draft-07/schema');
    delete schema.$schema;
    const ajv = makeAjv({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(schema);
    const compose = YAML.parse(read('compose.yaml'));
    expect(validate(compose), JSON.stringify(validate.errors)).toBe(true);
    // the schema does refuse a broken file
    expect(validate({ services: { x: { image: 1, ports: 'no' } } })).toBe(false);
    expect(Object.keys(compose.services)).toEqual(['collector', 'prometheus', 'alertmanager', 'grafana', 'victoria']);
    for (const [name, svc] of Object.entries<{ ports?: string[]; volumes?: string[] }>(compose.services)) {
      for (const p of svc.ports ?? []) if (name !== 'collector') expect(p, `${name} publishes ${p}`).toMatch(/^127\.0\.0\.1:/);
      for (const v of svc.volumes ?? []) {
        const src = v.split(':')[0]!;
        if (src.startsWith('.')) expect(existsSync(resolve(DIR, src)), `${name} mounts ${src}`).toBe(true);
      }
    }
    expect(compose.services.prometheus.command).toContain('--web.enable-remote-write-receiver');
    expect(compose.services.grafana.volumes).toContain('../dashboards/provisioning:/etc/grafana/provisioning:ro');
  });

  it('the compose collector config is a valid collector config, remote-writing to the compose Prometheus', () => {
    const cfg = validateConfig<{ remoteWrite: { url: string }[] }>(
      collectorConfigSpec,
      YAML.parse(read('collector/collector.yaml')),
      'deploy/collector/collector.yaml',
    );
    expect(cfg.remoteWrite.map((e) => e.url)).toEqual(['http://prometheus:9090/api/v1/write']);
  });

  it('the Grafana provisioning files point at the generated dashboards and the fixed datasource uid', () => {
    const root = resolve(DIR, '..');
    const ds = YAML.parse(readFileSync(join(root, 'dashboards/provisioning/datasources/xunjian.yaml'), 'utf8'));
    expect(ds.datasources[0].uid).toBe('xunjian-prometheus');
    const prov = YAML.parse(readFileSync(join(root, 'dashboards/provisioning/dashboards/xunjian.yaml'), 'utf8'));
    for (const p of prov.providers as { options: { path: string } }[]) {
      const rel = p.options.path.replace('/var/lib/grafana/dashboards/xunjian', 'dashboards/generated');
      expect(
        execFileSync('ls', [join(root, rel)], { encoding: 'utf8' })
          .split('\n')
          .filter(Boolean),
      ).toHaveLength(5);
      expect(dirname(rel)).toBe('dashboards/generated');
    }
  });
});
