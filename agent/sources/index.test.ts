import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/config.js';
import type { AgentConfig } from '../config.js';
import { type Source, SourceConfigError, type SourcePlugin, type ValidateContext, defineSource } from '../source.js';
import { PLUGINS, buildSources, sourcesSchema, validateSources } from './index.js';
import * as registry from './registry.js';

const schema = {
  type: 'object',
  default: {},
  additionalProperties: false,
  properties: { items: { type: 'array', items: { type: 'string' }, default: [] }, intervalSeconds: { type: 'integer', default: 60 } },
} as const;
const fake = (create: SourcePlugin['create'], validate?: (c: { items: string[] }, ctx: ValidateContext) => void): [string, SourcePlugin][] => [
  ['fake', defineSource({ schema, enabled: (c) => c.items.length > 0, validate, create }) as SourcePlugin],
];
const cfgWith = (fakeSection: unknown) => ({ node: { labels: {} }, sources: { fake: fakeSection } }) as unknown as AgentConfig;
const source: Source = { name: 'fake', intervalSeconds: 60, collect: async () => ({ samples: [] }) };
const errorOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'no error',
    (e: unknown) => (e instanceof ConfigError ? e.message : `not a ConfigError: ${e}`),
  );

describe('the source registry', () => {
  it('each registered plugin is one section of `sources`, in the registry order', () => {
    expect(Object.keys(sourcesSchema.properties)).toEqual(Object.keys(registry));
    expect(PLUGINS.map(([n]) => n)).toEqual(['host', 'ipv6check', 'posture', 'probes', 'snmp']);
    for (const [name, p] of PLUGINS) expect(sourcesSchema.properties[name]).toBe(p.schema);
  });

  it("a section that asks for nothing never reaches its plugin's factory (its module is not imported)", async () => {
    let called = 0;
    const plugins = fake(async () => {
      called++;
      return [source];
    });
    expect(await buildSources(cfgWith({ items: [], intervalSeconds: 60 }), 'a.yaml', plugins)).toEqual([]);
    expect(called).toBe(0);
    expect(await buildSources(cfgWith({ items: ['x'], intervalSeconds: 60 }), 'a.yaml', plugins)).toEqual([source]);
    expect(called).toBe(1);
  });

  it.each([
    [
      'a SourceConfigError: the key under the section',
      new SourceConfigError('items.0', "a known item, got 'x'"),
      "config error in a.yaml: sources.fake.items.0: a known item, got 'x'",
    ],
    ['a plain Error: the section', new Error('cannot read /etc/x: EACCES'), 'config error in a.yaml: sources.fake: cannot read /etc/x: EACCES'],
    ['a ConfigError: as it is', new ConfigError('b.yaml', 'k', 'v'), 'config error in b.yaml: k: v'],
  ])("a factory's error becomes a config error naming the file and key: %s", async (_n, thrown, message) => {
    const plugins = fake(async () => {
      throw thrown;
    });
    expect(await errorOf(buildSources(cfgWith({ items: ['x'], intervalSeconds: 60 }), 'a.yaml', plugins))).toBe(message);
  });

  it("runs the interval check of any section with intervalSeconds, then the plugin's own checks, naming sources.<name>", () => {
    const plugins = fake(
      async () => [],
      (c, ctx) => {
        if (c.items.includes('bad')) ctx.fail('items', "no 'bad' item");
      },
    );
    const run = (section: unknown) => {
      try {
        validateSources(cfgWith(section), 'a.yaml', plugins);
        return 'ok';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(run({ items: ['ok'], intervalSeconds: 60 })).toBe('ok');
    expect(run({ items: ['bad'], intervalSeconds: 60 })).toBe("config error in a.yaml: sources.fake.items: no 'bad' item");
    expect(run({ items: [], intervalSeconds: 7 })).toBe(
      'config error in a.yaml: sources.fake.intervalSeconds: 7 s cannot be scheduled evenly: use a divisor of 60 s, of 60 min (in whole minutes) or of 24 h (in whole hours)',
    );
  });
});
