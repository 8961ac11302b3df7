import { describe, expect, it } from 'vitest';
import { postureSchemaV1 } from '../contract/facts/posture.js';
import { collectPosture } from '../agent/sources/posture/collect.js';
import { makeAjv } from './ajv.js';
import { collectorConfigSpec } from '../collector/config.js';
import { agentConfigSpec } from '../agent/config.js';
import { type SchemaError, schemaErrors, unsupportedKeywords } from './schema-check.js';

const ajv = makeAjv({ allErrors: true, strict: false });
/** An error as both validators describe it. */
const line = (e: { instancePath: string; keyword: string; message?: string; propertyName?: string }) =>
  `${e.instancePath} ${e.keyword}${e.propertyName ? ` [${e.propertyName}]` : ''}: ${e.message}`;
const ajvLines = (schema: object, v: unknown) => {
  const validate = ajv.compile(schema);
  validate(v);
  return (validate.errors ?? []).map(line).sort();
};
const mine = (schema: object, v: unknown) => schemaErrors(schema, v).map(line).sort();

const ifThen = {
  if: { properties: { s: { const: 'u' } } },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema if/then keyword
  then: { required: ['r'] },
  else: { properties: { r: false } },
};

describe('schemaErrors: each keyword, the same errors as Ajv (allErrors)', () => {
  const obj = {
    type: 'object',
    required: ['a', 'b'],
    additionalProperties: false,
    properties: { a: { type: 'integer', minimum: 1, maximum: 9 }, b: { type: 'string', minLength: 2, maxLength: 3, pattern: '^x' }, c: { enum: ['p', 2] } },
  };
  it.each([
    ['valid', obj, { a: 3, b: 'xy' }, []],
    ['wrong types', obj, { a: 1.5, b: 7 }, ['/a type: must be integer', '/b type: must be string']],
    [
      'missing and extra',
      obj,
      { z: 1 },
      [
        " required: must have required property 'a'",
        " required: must have required property 'b'",
        ' additionalProperties: must NOT have additional properties',
      ],
    ],
    [
      'limits',
      obj,
      { a: 10, b: 'yyyy' },
      ['/a maximum: must be <= 9', '/b maxLength: must NOT have more than 3 characters', '/b pattern: must match pattern "^x"'],
    ],
    ['enum', obj, { a: 1, b: 'xx', c: 'q' }, ['/c enum: must be equal to one of the allowed values']],
    ['code points, not UTF-16 units', { type: 'string', maxLength: 2 }, '巡检', []],
    [
      'anyOf: errors of every branch, then anyOf',
      { anyOf: [{ type: 'null' }, { type: 'integer' }] },
      'x',
      [' anyOf: must match a schema in anyOf', ' type: must be integer', ' type: must be null'],
    ],
    ['anyOf: one branch passes', { anyOf: [{ type: 'null' }, { type: 'integer' }] }, 4, []],
    ['const', { const: null }, 0, [' const: must be equal to constant']],
    ['deep const', { const: { a: [1, { b: 2 }] } }, { a: [1, { b: 2 }] }, []],
    ['if / then', ifThen, { s: 'u' }, [" required: must have required property 'r'", ' if: must match "then" schema']],
    ['if / else with a false schema', ifThen, { s: 'ok', r: 'x' }, ['/r false schema: boolean schema is false', ' if: must match "else" schema']],
    [
      'items, additionalProperties as a schema',
      { type: 'array', minItems: 1, items: { type: 'object', additionalProperties: { type: 'number' } } },
      [{ a: 1 }, { b: 'x' }],
      ['/1/b type: must be number'],
    ],
    ['minItems', { type: 'array', minItems: 2 }, [1], [' minItems: must NOT have fewer than 2 items']],
    [
      'uniqueItems',
      { type: 'array', uniqueItems: true },
      ['a', 'b', 'a', 'b'],
      [' uniqueItems: must NOT have duplicate items (items ## 1 and 3 are identical)'],
    ],
    ['exclusive limits', { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 }, 0, [' exclusiveMinimum: must be > 0']],
    ['keywords of another type do not apply', { minimum: 3, minLength: 9, required: ['a'] }, 'ab', [' minLength: must NOT have fewer than 9 characters']],
    ['JSON pointer escaping', { type: 'object', additionalProperties: { type: 'string' } }, { 'a/b~c': 1 }, ['/a~1b~0c type: must be string']],
  ])('%s', (_n, schema, value, want) => {
    expect(mine(schema, value)).toEqual([...want].sort());
    expect(mine(schema, value)).toEqual(ajvLines(schema, value));
  });

  it('propertyNames: the failing name and its error', () => {
    const s = { type: 'object', propertyNames: { pattern: '^[a-z]+$' } };
    const errs: SchemaError[] = schemaErrors(s, { ok: 1, Bad: 2 });
    expect(errs).toEqual([
      { instancePath: '', keyword: 'pattern', params: { pattern: '^[a-z]+$' }, message: 'must match pattern "^[a-z]+$"', propertyName: 'Bad' },
      { instancePath: '', keyword: 'propertyNames', params: { propertyName: 'Bad' }, message: 'property name must be valid' },
    ]);
  });

  it('refuses a keyword it does not implement rather than validating less', () => {
    expect(() => schemaErrors({ oneOf: [{ type: 'string' }] }, 'x')).toThrow("schema-check: unsupported keyword 'oneOf' at /");
    expect(unsupportedKeywords({ properties: { a: { items: { not: {} } } } })).toEqual(['#/properties/a/items/not']);
  });
});

describe('the posture facts schema: as Ajv judges it', () => {
  const fixtures = ['debian-hardened', 'debian-weak', 'kylin-weak', 'openeuler-hardened'];
  it.each(fixtures)('%s: valid, as for Ajv', async (name) => {
    const p = await collectPosture(`${import.meta.dirname}/../agent/sources/posture/fixtures/${name}`, 5);
    expect(schemaErrors(postureSchemaV1, p)).toEqual([]);
    expect(ajvLines(postureSchemaV1, p)).toEqual([]);
  });

  it('broken facts: the same errors as Ajv', async () => {
    const p = structuredClone(await collectPosture(`${import.meta.dirname}/../agent/sources/posture/fixtures/debian-weak`, 5)) as unknown as {
      facts: Record<string, Record<string, unknown>>;
      [k: string]: unknown;
    };
    p.facts['ssh.maxAuthTries']!.value = 'six';
    p.facts['net.listening']!.value = [{ proto: 'sctp', family: 4, address: '0.0.0.0' }];
    p.facts['os.release'] = { status: 'unknown', value: 'x', evidence: [] };
    p.facts['audit.auditd']!.evidence = [{ source: '/etc', line: 0, excerpt: 'x'.repeat(5000) }];
    p.facts['Bad.id'] = { status: 'ok', value: 1, evidence: [], extra: true };
    delete p.facts['session.tmout'];
    p.schemaVersion = 2;
    const got = mine(postureSchemaV1, p);
    expect(got.length).toBeGreaterThan(10);
    expect(got).toEqual(ajvLines(postureSchemaV1, p));
  });
});

describe('config schemas: defaults and the first error as Ajv (useDefaults, no allErrors) gives them', () => {
  const first = (schema: object, data: unknown) => {
    const a = structuredClone(data);
    const validate = makeAjv({ useDefaults: true, allErrors: false }).compile(schema);
    validate(a);
    const b = structuredClone(data);
    const errs = schemaErrors(schema, b, { defaults: true });
    return { ajv: validate.errors?.[0] ? line(validate.errors[0]) : 'valid', mine: errs[0] ? line(errs[0]) : 'valid', ajvData: a, data: b };
  };
  it.each([agentConfigSpec, collectorConfigSpec])('$kind: every keyword of the schema is implemented', (spec) =>
    expect(unsupportedKeywords(spec.schema)).toEqual([]),
  );
  it.each([
    ['defaults only', {}],
    ['env-style partial', { node: { id: 'n1' }, report: { intervalSeconds: 15 } }],
    ['bad node id', { node: { id: 'a b' } }],
    ['unknown top-level key', { nodes: {}, report: { intervalSeconds: 'x' } }],
    ['wrong type deep', { sources: { host: { intervalSeconds: 'x', enabled: 3 } } }],
    ['number out of range and an extra key', { report: { intervalSeconds: 99999, x: 1 } }],
    ['enum', { node: { zone: 'dmz', grade: 4 } }],
    ['label name', { node: { labels: { 'bad-name': 'x', ok: 1 } } }],
    ['snmp v3 without keys', { sources: { snmp: { credentials: { c: { version: '3', v3: { user: 'u', level: 'authPriv', authKey: 'short' } } } } } }],
    ['snmp credential without version', { sources: { snmp: { credentials: { c: {} }, targets: [{ name: 'x' }] } } }],
    ['probe target', { sources: { probes: { targets: [{ name: 'p', type: 'ftp', target: '' }] } } }],
    ['collectors list', { collectors: [{ token: 1 }, {}] }],
    ['a list where a mapping goes', { collector: [] }],
  ])('agent: %s', (_n, data) => {
    const r = first(agentConfigSpec.schema, data);
    expect(r.mine).toBe(r.ajv);
    if (r.ajv === 'valid') expect(r.data).toEqual(r.ajvData);
  });
  it.each([
    ['defaults only', {}],
    ['listen', { listen: 'nowhere' }],
    ['duplicate algorithms', { ingest: { signatureAlgorithms: ['hmac-sha256', 'hmac-sha256'] } }],
    ['empty algorithms', { ingest: { signatureAlgorithms: [] } }],
    ['wrong types', { dataDir: 3, ingest: { maxBodyBytes: 'big' } }],
  ])('collector: %s', (_n, data) => {
    const r = first(collectorConfigSpec.schema, data);
    expect(r.mine).toBe(r.ajv);
    if (r.ajv === 'valid') expect(r.data).toEqual(r.ajvData);
  });
});
