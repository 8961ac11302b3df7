import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { postureSchemaV1 } from '../contract/facts/posture.js';
import { makeAjv } from '../lib/ajv.js';
import { ROOT, xunjian } from '../test/helpers/proc.js';
import { buildProgram, commandModules, commandName } from './program.js';

const dir = mkdtempSync(join(tmpdir(), 'xj-cli-'));
const postureSchemaV1Valid = makeAjv().compile(postureSchemaV1);

/** Every command path of the program, e.g. ['collector', 'token', 'create']. */
async function commandPaths(): Promise<string[][]> {
  const out: string[][] = [[]];
  const walk = (cmd: Command, path: string[]) => {
    for (const c of cmd.commands) {
      out.push([...path, c.name()]);
      walk(c, [...path, c.name()]);
    }
  };
  walk(await buildProgram(), []);
  return out;
}
const paths = await commandPaths();

describe('xunjian CLI', () => {
  it('a reader that closed its end of the pipe (| head -1) ends the command quietly, no stack trace', async () => {
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('../test/helpers/proc.js');
    // --print-default-config writes ~20 KB; the read end is closed before the first byte is read
    const child = spawn(process.execPath, [BIN, 'agent', '--print-default-config'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('prints its version', async () => {
    const { version } = (await import(`${ROOT}package.json`, { with: { type: 'json' } })).default as { version: string };
    const r = xunjian(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it.each(paths.map((p) => [p.join(' ') || '(top)', p]))('--help works for %s', (_n, path) => {
    const r = xunjian([...(path as string[]), '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: xunjian/);
  });

  it('exits 2 naming file, key and expectation on an invalid config', () => {
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'report:\n  intervalSeconds: 45\n');
    const r = xunjian(['agent', '--once', '-c', f]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `xunjian: config error in ${f}: report.intervalSeconds: 45 s cannot be scheduled evenly: use a divisor of 60 s, of 60 min (in whole minutes) or of 24 h (in whole hours)`,
    );
    const c = xunjian(['collector', '-c', f]);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain(`config error in ${f}: (top level): unknown key 'report'`);
  });

  it('agent --once prints Prometheus text exposition without pushing', () => {
    const r = xunjian(['agent', '--once'], { XUNJIAN_AGENT__DATADIR: join(dir, 'agent') });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('# HELP node_load1 1m load average.\n# TYPE node_load1 gauge\nnode_load1 ');
    expect(r.stdout).toMatch(/^node_cpu_seconds_total\{cpu="0",mode="idle"\} \d/m);
    expect(r.stdout).toMatch(/^xunjian_agent_source_up\{source="host"\} 1$/m);
    expect(r.stdout).toMatch(/^xunjian_agent_reports_sent_total 0$/m);
  });

  it('agent --once --facts prints the facts as JSON', () => {
    const r = xunjian(['agent', '--once', '--facts'], { XUNJIAN_AGENT__DATADIR: join(dir, 'agent') });
    expect(r.code).toBe(0);
    const facts = JSON.parse(r.stdout) as Record<string, { addresses: { family: string; address: string }[] }>;
    expect(facts['host.inventory']!.addresses).toContainEqual(expect.objectContaining({ family: 'ipv4', address: '127.0.0.1' }));
    expect(postureSchemaV1Valid(facts['host.posture'])).toBe(true);
  });

  it('an invalid argument found by a command prints why', () => {
    const r = xunjian(['snmp', 'poll', 'udp://127.0.0.1:1161', '--snmp-version', '3']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('xunjian: --snmp-version 3 needs --v3-user');
  });

  it.each([
    [
      ['snmp', 'walk', 'udp://127.0.0.1:9', '1.3', '--timeout', 'x'],
      "option '--timeout <seconds>' argument 'x' is invalid. expected a number above 0 up to 60",
    ],
    [['snmp', 'poll', 'udp://127.0.0.1:9', '--retries', '-1'], "option '--retries <n>' argument '-1' is invalid. expected a whole number from 0 up to 10"],
    [
      ['snmp', 'poll', 'udp://127.0.0.1:9', '--max-repetitions', '0'],
      "option '--max-repetitions <n>' argument '0' is invalid. expected a whole number from 1 up to 200",
    ],
    [['facts', '--timeout', '0'], "option '--timeout <seconds>' argument '0' is invalid. expected a number above 0 up to 120"],
  ])('%j: a number out of range is a usage error', (args, message) => {
    const r = xunjian(args);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`error: ${message}`);
  });

  it('agent --facts without --once is a usage error, not ignored', () => {
    const r = xunjian(['agent', '--facts'], { XUNJIAN_AGENT__DATADIR: join(dir, 'agent') });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: --facts goes with --once');
  });

  it('facts --root FIXTURE --json prints the schema-v1 facts of that tree with their evidence', () => {
    const root = `${ROOT}agent/sources/posture/fixtures/debian-hardened`;
    const r = xunjian(['facts', '--root', root, '--json']);
    expect(r.code).toBe(0);
    const f = JSON.parse(r.stdout) as { schemaVersion: number; root: string; live: boolean; facts: Record<string, unknown> };
    expect([f.schemaVersion, f.root, f.live]).toEqual([1, root, false]);
    expect(f.facts['ssh.permitRootLogin']).toEqual({
      status: 'ok',
      value: 'no',
      evidence: [{ source: '/etc/ssh/sshd_config', line: 3, excerpt: 'PermitRootLogin no' }],
    });
  });

  it.each([
    ['/nonexistent/x', 'no such directory'],
    [`${ROOT}package.json`, 'not a directory'],
  ])('facts --root %s is refused with exit 2', (root, why) => {
    const r = xunjian(['facts', '--root', root]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(`xunjian facts: --root ${root}: ${why}`);
  });

  it.each(['agent', 'collector'])('%s --print-default-config prints commented YAML', (cmd) => {
    const r = xunjian([cmd, '--print-default-config']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^# Xunjian ${cmd} configuration \\(defaults\\)\\.`));
  });
});

describe('lazy command modules', () => {
  it.each([
    [['node', 'xunjian', 'agent', '--once'], 'agent'],
    [['node', 'xunjian', '-V'], undefined],
    [['node', 'xunjian', '--help', 'snmp', 'walk'], 'snmp'],
  ])('%j names command %s', (argv, name) => expect(commandName(argv)).toBe(name));

  it("each module's listed names are exactly the top-level commands it registers (so `xunjian NAME` loads the right one)", async () => {
    const modules = await commandModules();
    for (const m of modules) {
      const p = new Command('x');
      (await m.load())(p);
      expect(p.commands.map((c) => c.name()).sort()).toEqual([...m.names].sort());
    }
    const names = modules.flatMap((m) => m.names);
    expect(new Set(names).size).toBe(names.length);
    expect(names.sort()).toEqual(
      paths
        .filter((p) => p.length === 1)
        .map((p) => p[0])
        .sort(),
    );
  });

  it('xunjian agent builds a program with the agent command alone', async () => {
    expect((await buildProgram('agent')).commands.map((c) => c.name())).toEqual(['agent']);
    expect((await buildProgram('snmp')).commands.map((c) => c.name())).toEqual(['snmp']);
    expect((await buildProgram('nonsense')).commands.length).toBe(paths.filter((p) => p.length === 1).length);
  });

  it('a source factory refusing the config exits 2 naming the file and the key', () => {
    const profiles = join(dir, 'profiles');
    mkdirSync(profiles, { recursive: true });
    writeFileSync(
      join(profiles, 'vlan.yaml'),
      'name: vlan\nmatch: []\ntables:\n  - { name: vlanTable, entry: 1.3.6.1.4.1.9.9.46.1.3.1.1, indexes: [{ label: vlanIndex, type: integer }], columns: [{ column: 2, name: vtpVlanState, type: gauge }] }\n',
    );
    const f = join(dir, 'factory.yaml');
    writeFileSync(
      f,
      `sources:\n  host: { enabled: false }\n  posture: { enabled: false }\n  snmp:\n    profilesDir: ${profiles}\n    credentials: { c: { version: "2c", community: x } }\n    targets:\n      - { name: sw, address: "udp://127.0.0.1:9", credential: c, labels: { vlanIndex: "1" } }\n`,
    );
    const r = xunjian(['agent', '--once', '-c', f], { XUNJIAN_AGENT__DATADIR: join(dir, 'agent') });
    expect(r.stderr.trim()).toBe(
      `xunjian: config error in ${f}: sources.snmp.targets.0.labels.vlanIndex: a label no profile sets: a table of the profiles (profilesDir ${profiles}) sets 'vlanIndex' on its series, which a target label cannot overwrite; use another name (e.g. device_vlanIndex)`,
    );
    expect(r.code).toBe(2);
  });
});
