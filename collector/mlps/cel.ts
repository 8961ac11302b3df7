/**
 * The CEL environments the packs' conditions are checked against and evaluated in. The declared
 * variables are GENERATED from the facts JSON schemas in contract/facts/: a fact id `ssh.permitRootLogin`
 * is the field `permitRootLogin` of the variable `ssh`. JSON numbers are doubles in CEL (declared
 * `double`, compared with `90.0` or a parameter); a null value (= "not configured") is an absent
 * field, tested with `has()`.
 */
import { Environment, type ParseResult } from '@marcbachmann/cel-js';
import { COLLECTOR_FACT_VALUES } from '../../contract/facts/collector.js';
import { DEVICE_FACT_VALUES } from '../../contract/facts/device.js';
import { POSTURE_FACT_VALUES } from '../../contract/facts/posture.js';

export type TargetKind = 'host' | 'network_device' | 'collector';
export const TARGET_KINDS: readonly TargetKind[] = ['host', 'network_device', 'collector'];

type JsonSchema = Record<string, unknown>;

/** Fact id → JSON Schema of its value, per kind of target. Device facts are `device.<key>`. */
export const FACT_SCHEMAS: Record<TargetKind, Record<string, JsonSchema>> = {
  host: POSTURE_FACT_VALUES as unknown as Record<string, JsonSchema>,
  network_device: Object.fromEntries(Object.entries(DEVICE_FACT_VALUES).map(([k, v]) => [`device.${k}`, v as JsonSchema])),
  collector: COLLECTOR_FACT_VALUES as unknown as Record<string, JsonSchema>,
};

/** The CEL variables of a kind: the fact ids' first segments. */
export function factVariables(kind: TargetKind): Set<string> {
  return new Set(Object.keys(FACT_SCHEMAS[kind]).map((id) => id.slice(0, id.indexOf('.'))));
}

const pascal = (s: string) => s.replace(/(^|[^a-zA-Z0-9])([a-zA-Z0-9])/g, (_, _p, c: string) => c.toUpperCase());

/** A declaration: a CEL type string, or a nested object schema (fields). */
type Decl = string | { [field: string]: Decl };

/**
 * The CEL declaration of a JSON Schema value. Objects nested as fields become nested schemas;
 * objects inside lists become registered types (named after their path); maps of objects are
 * `map<string, dyn>`. Nullable (`anyOf` with null) is the non-null type: null values are left out
 * of the context, so `has()` tests them.
 */
export function celDecl(s: JsonSchema, path: string, types: Map<string, Record<string, Decl>>): Decl {
  if (Array.isArray(s.anyOf)) {
    const alts = (s.anyOf as JsonSchema[]).filter((a) => a.type !== 'null');
    if (alts.length === 1) return celDecl(alts[0]!, path, types);
    return 'dyn';
  }
  if (Array.isArray(s.enum)) {
    const vals = s.enum as unknown[];
    if (vals.every((v) => typeof v === 'string')) return 'string';
    if (vals.every((v) => typeof v === 'number')) return 'double';
    return 'dyn';
  }
  switch (s.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'double';
    case 'boolean':
      return 'bool';
    case 'array': {
      const item = celDecl((s.items ?? {}) as JsonSchema, `${path}Item`, types);
      if (typeof item === 'string') return `list<${item}>`;
      const name = pascal(`${path}Item`);
      types.set(name, item as Record<string, Decl>);
      return `list<${name}>`;
    }
    case 'object': {
      const props = s.properties as Record<string, JsonSchema> | undefined;
      if (props && Object.keys(props).length) {
        const out: Record<string, Decl> = {};
        for (const [k, v] of Object.entries(props)) out[k] = celDecl(v, `${path}.${k}`, types);
        return out;
      }
      const ap = s.additionalProperties;
      if (ap && typeof ap === 'object') {
        const v = celDecl(ap as JsonSchema, `${path}Value`, types);
        return typeof v === 'string' ? `map<string, ${v}>` : 'map<string, dyn>';
      }
      return 'map<string, dyn>';
    }
    default:
      return 'dyn';
  }
}

/** Flattens nested declarations of a registered type's fields into type strings (nested objects become `map<string, dyn>`). */
const flat = (fields: Record<string, Decl>): Record<string, string> =>
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? v : 'map<string, dyn>']));

/** The declared variables of a kind: variable → field → declaration, and the types objects in lists need. */
export function declarations(kind: TargetKind): { variables: Record<string, Record<string, Decl>>; types: Map<string, Record<string, Decl>> } {
  const types = new Map<string, Record<string, Decl>>();
  const variables: Record<string, Record<string, Decl>> = {};
  for (const [id, schema] of Object.entries(FACT_SCHEMAS[kind])) {
    const i = id.indexOf('.');
    const v = id.slice(0, i);
    const field = id.slice(i + 1);
    variables[v] ??= {};
    variables[v][field] = celDecl(schema, id, types);
  }
  return { variables, types };
}

export type ParamType = 'double' | 'string' | 'bool' | 'list<string>';

/** The CEL type of a parameter's default value, or why it has none. */
export function paramType(v: unknown): ParamType | { error: string } {
  if (typeof v === 'number') return 'double';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return 'list<string>';
  return { error: 'a number, string, boolean or list of strings' };
}

/** Octal mode string → number ("0640" → 0o640); NaN when not octal. */
const octal = (s: string) => (/^[0-7]{3,4}$/.test(s) ? Number.parseInt(s, 8) : Number.NaN);

/**
 * A fresh environment for a kind: its fact variables, `params` (the pack's parameters), `now`, and
 * the functions `modeAtMost(mode, max)` (no permission bit outside max) and `umaskCovers(umask, required)`
 * (the umask masks at least the required bits).
 */
export function buildEnvironment(kind: TargetKind, params: Record<string, ParamType>): Environment {
  const env = new Environment({ homogeneousAggregateLiterals: false });
  const { variables, types } = declarations(kind);
  for (const [name, fields] of types) env.registerType(name, { fields: flat(fields) });
  for (const [name, schema] of Object.entries(variables)) env.registerVariable({ name, schema: schema as never });
  if (Object.keys(params).length) env.registerVariable({ name: 'params', schema: params as never });
  return withBuiltins(env);
}

/**
 * The environment expressions RUN in: the same variables declared as plain maps. Conditions are
 * type-checked against buildEnvironment's generated schema at load; evaluating them over maps skips
 * the per-evaluation conversion of every context object into its schema type (2.5× faster over
 * many targets), with the same semantics for JSON values (field access, has(), doubles).
 */
export function buildRuntimeEnvironment(kind: TargetKind): Environment {
  const env = new Environment({ homogeneousAggregateLiterals: false });
  for (const name of factVariables(kind)) env.registerVariable(name, 'map');
  env.registerVariable('params', 'map');
  return withBuiltins(env);
}

function withBuiltins(env: Environment): Environment {
  env.registerVariable('now', 'google.protobuf.Timestamp');
  env.registerFunction('modeAtMost(string, string): bool', (mode: string, max: string) => {
    const m = octal(mode);
    const x = octal(max);
    return !Number.isNaN(m) && !Number.isNaN(x) && (m & ~x) === 0;
  });
  env.registerFunction('umaskCovers(string, string): bool', (umask: string, required: string) => {
    const u = octal(umask);
    const r = octal(required);
    return !Number.isNaN(u) && !Number.isNaN(r) && (u & r) === r;
  });
  return env;
}

export type Compiled = ParseResult;

/** Fact ids and parameter names an expression names (`x.y` with x a fact variable or `params`). */
export function referencedNames(ast: unknown, variables: Set<string>): { facts: { id: string; start: number }[]; params: { name: string; start: number }[] } {
  const facts: { id: string; start: number }[] = [];
  const params: { name: string; start: number }[] = [];
  const walk = (n: unknown): void => {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) {
      for (const x of n) walk(x);
      return;
    }
    const node = n as { op?: string; args?: unknown; start?: number };
    if ((node.op === '.' || node.op === '.?') && Array.isArray(node.args)) {
      const [base, field] = node.args as [{ op?: string; args?: unknown; start?: number }, string];
      if (base?.op === 'id' && typeof base.args === 'string') {
        if (base.args === 'params') params.push({ name: field, start: base.start ?? 0 });
        else if (variables.has(base.args)) facts.push({ id: `${base.args}.${field}`, start: base.start ?? 0 });
      }
    }
    walk(node.args);
  };
  walk(ast);
  return { facts, params };
}
