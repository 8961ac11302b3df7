import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { type SchemaError, schemaErrors } from './schema-check.js';

/**
 * YAML config files validated against a JSON Schema, with environment overrides.
 *
 * - Every option has a `default` and a `description` in its schema; `renderDefaultConfig` prints the
 *   schema as a commented YAML file (`--print-default-config`).
 * - Environment overrides: `<PREFIX><KEY>__<SUBKEY>=value`, keys matched case-insensitively against
 *   the schema (e.g. `XUNJIAN_AGENT__COLLECTOR__URL`). Values are parsed as YAML scalars/flow values.
 * - Errors name the file (or the environment variable), the key and what was expected; values of keys
 *   marked `secret: true` are never printed.
 */
// biome-ignore lint/suspicious/noExplicitAny: JSON Schema is untyped data
export type Schema = Record<string, any>;

export interface ConfigSpec {
  /** What the config configures, for messages: 'agent' or 'collector'. */
  kind: string;
  envPrefix: string;
  schema: Schema;
}

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly key: string,
    readonly expected: string,
  ) {
    super(`config error in ${source}: ${key || '(top level)'}: ${expected}`);
    this.name = 'ConfigError';
  }
}

function schemaAt(schema: Schema, path: string[]): Schema | undefined {
  let s: Schema | undefined = schema;
  for (const p of path) {
    if (!s) return undefined;
    if (s.properties?.[p]) s = s.properties[p];
    else if (typeof s.additionalProperties === 'object') s = s.additionalProperties;
    else if (s.items && /^\d+$/.test(p)) s = s.items;
    else return undefined;
  }
  return s;
}

/** Map env vars with the prefix onto a nested object whose keys follow the schema's spelling. */
export function envOverrides(spec: ConfigSpec, env: NodeJS.ProcessEnv): { values: Schema; sources: Map<string, string> } {
  const values: Schema = {};
  const sources = new Map<string, string>();
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(spec.envPrefix) || raw === undefined) continue;
    const parts = name.slice(spec.envPrefix.length).split('__').filter(Boolean);
    if (parts.length === 0) continue;
    let schema: Schema | undefined = spec.schema;
    const path: string[] = [];
    for (const part of parts) {
      const props: string[] = Object.keys(schema?.properties ?? {});
      const match = props.find((p) => p.toLowerCase() === part.toLowerCase());
      if (!match) {
        const where = path.length ? path.join('.') : 'the top level';
        throw new ConfigError(
          `environment variable ${name}`,
          [...path, part.toLowerCase()].join('.'),
          `no such key under ${where} (expected one of: ${props.join(', ')})`,
        );
      }
      path.push(match);
      schema = schema?.properties?.[match];
    }
    let value: unknown = raw;
    if (schema?.type !== 'string') {
      try {
        value = YAML.parse(raw);
      } catch {
        value = raw;
      }
    }
    let obj = values;
    for (const p of path.slice(0, -1)) obj = obj[p] ??= {};
    obj[path[path.length - 1]!] = value;
    sources.set(path.join('.'), `environment variable ${name}`);
  }
  return { values, sources };
}

function deepMerge(base: Schema, over: Schema): Schema {
  const out: Schema = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object' && !Array.isArray(out[k])) {
      out[k] = deepMerge(out[k], v);
    } else out[k] = v;
  }
  return out;
}

function show(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

function expectation(e: SchemaError, schema: Schema | undefined, value: unknown): string {
  const secret = schema?.secret === true;
  const got = secret ? '' : `, got ${show(value)}`;
  const p = e.params as Record<string, unknown>;
  if (e.propertyName !== undefined) return `invalid key name '${e.propertyName}': expected a name matching ${p.pattern ?? 'the schema'}`;
  switch (e.keyword) {
    case 'type':
      return `expected ${p.type}${got}`;
    case 'enum':
      return `expected one of ${(p.allowedValues as unknown[]).map(show).join(', ')}${got}`;
    case 'const':
      return `expected ${show(p.allowedValue)}${got}`;
    case 'additionalProperties':
      return `unknown key '${p.additionalProperty}' (expected one of: ${Object.keys(schema?.properties ?? {}).join(', ')})`;
    case 'required':
      return `missing required key '${p.missingProperty}'`;
    case 'pattern':
      return `expected ${schema?.patternDescription ?? `a value matching ${p.pattern}`}${got}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
    case 'minLength':
    case 'maxLength':
    case 'minItems':
    case 'maxItems':
      return `expected a value that ${e.message}${got}`;
    default:
      return `${e.message ?? 'invalid'}${got}`;
  }
}

/**
 * Validate (and fill defaults into) a config object. `sources` names where each key came from. The
 * schema is walked (lib/schema-check.ts), not compiled with Ajv: the same first error and defaults, and
 * none of the compiler's memory in a long-running agent (bench/README.md).
 */
export function validateConfig<T>(spec: ConfigSpec, data: unknown, defaultSource: string, sources = new Map<string, string>()): T {
  const copy = structuredClone(data ?? {});
  const errors = schemaErrors(spec.schema, copy, { defaults: true });
  if (!errors.length) return copy as T;
  const e = errors[0]!;
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let value: unknown = copy;
  for (const k of path) value = (value as Schema | undefined)?.[k];
  const schema = schemaAt(spec.schema, path);
  const key = path.join('.');
  let source = defaultSource;
  for (let i = path.length; i > 0; i--) {
    const s = sources.get(path.slice(0, i).join('.'));
    if (s) {
      source = s;
      break;
    }
  }
  throw new ConfigError(source, key, expectation(e, schema, value));
}

/** Read a YAML file (when given), apply environment overrides, validate, fill defaults. */
export function loadConfig<T>(spec: ConfigSpec, file: string | undefined, env: NodeJS.ProcessEnv = process.env): T {
  let data: Schema = {};
  const source = file ?? 'built-in defaults';
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(file, '', `cannot read file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const doc = YAML.parseDocument(text, { uniqueKeys: true });
    if (doc.errors.length) {
      const e = doc.errors[0]!;
      const pos = e.linePos?.[0];
      throw new ConfigError(
        pos ? `${file}:${pos.line}:${pos.col}` : file,
        '',
        `invalid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
      );
    }
    const parsed = doc.toJS();
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(file, '', `expected a mapping of ${spec.kind} settings at the top level`);
      data = parsed;
    }
  }
  const { values, sources } = envOverrides(spec, env);
  return validateConfig<T>(spec, deepMerge(data, values), source, sources);
}

function yamlScalar(v: unknown): string {
  return YAML.stringify(v, { lineWidth: 0 }).trimEnd();
}

/** Render the schema as a commented YAML config holding every default. */
export function renderDefaultConfig(spec: ConfigSpec, header: string): string {
  const out: string[] = header.split('\n').map((l) => (l ? `# ${l}` : '#'));
  out.push(`# Environment overrides: ${spec.envPrefix}<KEY>__<SUBKEY>=value (keys case-insensitive).`, '');
  const walk = (schema: Schema, indent: string) => {
    for (const [key, prop] of Object.entries<Schema>(schema.properties ?? {})) {
      for (const line of String(prop.description ?? '').split('\n')) if (line) out.push(`${indent}# ${line}`);
      if (prop.type === 'object' && prop.properties) {
        out.push(`${indent}${key}:`);
        walk(prop, `${indent}  `);
        continue;
      }
      const def = prop.default;
      if (prop.example !== undefined) out.push(`${indent}# e.g. ${key}: ${JSON.stringify(prop.example)}`);
      if (def === undefined) out.push(`${indent}# ${key}:`);
      else if (typeof def === 'object' && def !== null && Object.keys(def).length > 0) {
        out.push(`${indent}${key}:`);
        for (const l of yamlScalar(def).split('\n')) out.push(`${indent}  ${l}`);
      } else out.push(`${indent}${key}: ${yamlScalar(def)}`);
      out.push('');
    }
  };
  walk(spec.schema, '');
  return `${out.join('\n').trimEnd()}\n`;
}
