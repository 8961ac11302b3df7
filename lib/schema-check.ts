/**
 * A JSON Schema validator that walks the schema instead of generating code. Ajv compiles a schema into
 * a JavaScript function; for the 49 KB posture facts schema that costs ≈40 MiB of RSS and seconds of
 * CPU in a process that checks one document an hour (bench/README.md, agent idle memory). This one
 * costs nothing up front and is fast enough for documents of that size.
 *
 * Keywords: type, const, enum, anyOf, allOf, if/then/else, properties, required,
 * additionalProperties, propertyNames, items (one schema), pattern, minLength, maxLength, minimum,
 * maximum, exclusiveMinimum, exclusiveMaximum, minItems, maxItems, boolean schemas. Annotation
 * keywords (description, default, $id, examples …) are ignored. Any other keyword is refused when the
 * validator meets it (`unsupported keyword`), so a schema never validates less than it says.
 * Errors have Ajv's shape and English messages (instancePath, keyword, params, message), all of them
 * (Ajv's allErrors), so callers can switch between the two.
 */
export interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message: string;
  /** Set when the error is about a property name (propertyNames). */
  propertyName?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema is untyped data
type Schema = boolean | Record<string, any>;

const ANNOTATIONS = new Set([
  '$id',
  '$schema',
  '$comment',
  'title',
  'description',
  'default',
  'examples',
  'example',
  'secret',
  'patternDescription',
  'then',
  'else',
]);
const KEYWORDS = new Set([
  'type',
  'const',
  'enum',
  'anyOf',
  'allOf',
  'if',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minItems',
  'maxItems',
]);

const patterns = new Map<string, RegExp>();
const regex = (p: string): RegExp => {
  let r = patterns.get(p);
  if (!r) patterns.set(p, (r = new RegExp(p, 'u')));
  return r;
};

/** The JSON type of a value as JSON Schema names it (`integer` is checked apart). */
function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function hasType(v: unknown, t: string): boolean {
  switch (t) {
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'null':
      return v === null;
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    default:
      return typeof v === t;
  }
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const pointer = (k: string | number) => `/${String(k).replace(/~/g, '~0').replace(/\//g, '~1')}`;
const LIMITS: Record<string, [string, (v: number, l: number) => boolean]> = {
  minimum: ['>=', (v, l) => v >= l],
  maximum: ['<=', (v, l) => v <= l],
  exclusiveMinimum: ['>', (v, l) => v > l],
  exclusiveMaximum: ['<', (v, l) => v < l],
};

/** Walk one schema over one value, appending every error to `out`. */
function walk(schema: Schema, v: unknown, path: string, out: SchemaError[]): void {
  if (schema === true) return;
  if (schema === false) {
    out.push({ instancePath: path, keyword: 'false schema', params: {}, message: 'boolean schema is false' });
    return;
  }
  for (const k of Object.keys(schema))
    if (!KEYWORDS.has(k) && !ANNOTATIONS.has(k)) throw new Error(`schema-check: unsupported keyword '${k}' at ${path || '/'}`);
  const err = (keyword: string, params: Record<string, unknown>, message: string) => out.push({ instancePath: path, keyword, params, message });
  if (schema.type !== undefined) {
    const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => hasType(v, t))) err('type', { type: types.join(',') }, `must be ${types.join(',')}`);
  }
  if ('const' in schema && !equal(v, schema.const)) err('const', { allowedValue: schema.const }, 'must be equal to constant');
  if (schema.enum && !schema.enum.some((e: unknown) => equal(v, e))) err('enum', { allowedValues: schema.enum }, 'must be equal to one of the allowed values');
  const t = jsonType(v);
  if (t === 'number') numberKeywords(schema, v as number, err);
  else if (t === 'string') stringKeywords(schema, v as string, err);
  else if (t === 'array') arrayKeywords(schema, v as unknown[], path, out, err);
  else if (t === 'object') objectKeywords(schema, v as Record<string, unknown>, path, out, err);
  if (schema.anyOf) {
    const branches: SchemaError[] = [];
    const ok = (schema.anyOf as Schema[]).some((s) => {
      const mine: SchemaError[] = [];
      walk(s, v, path, mine);
      branches.push(...mine);
      return mine.length === 0;
    });
    if (!ok) out.push(...branches, { instancePath: path, keyword: 'anyOf', params: {}, message: 'must match a schema in anyOf' });
  }
  for (const s of (schema.allOf ?? []) as Schema[]) walk(s, v, path, out);
  if (schema.if !== undefined) {
    const cond: SchemaError[] = [];
    walk(schema.if, v, path, cond);
    const branch = cond.length === 0 ? 'then' : 'else';
    if (schema[branch] !== undefined) {
      const mine: SchemaError[] = [];
      walk(schema[branch], v, path, mine);
      if (mine.length) out.push(...mine, { instancePath: path, keyword: 'if', params: { failingKeyword: branch }, message: `must match "${branch}" schema` });
    }
  }
}

type Err = (keyword: string, params: Record<string, unknown>, message: string) => void;

function numberKeywords(schema: Record<string, unknown>, v: number, err: Err): void {
  for (const [k, [comparison, ok]] of Object.entries(LIMITS)) {
    const limit = schema[k];
    if (typeof limit === 'number' && !ok(v, limit)) err(k, { comparison, limit }, `must be ${comparison} ${limit}`);
  }
}

function stringKeywords(schema: Record<string, unknown>, v: string, err: Err): void {
  const length = () => [...v].length;
  if (typeof schema.minLength === 'number' && length() < schema.minLength)
    err('minLength', { limit: schema.minLength }, `must NOT have fewer than ${schema.minLength} characters`);
  if (typeof schema.maxLength === 'number' && length() > schema.maxLength)
    err('maxLength', { limit: schema.maxLength }, `must NOT have more than ${schema.maxLength} characters`);
  if (typeof schema.pattern === 'string' && !regex(schema.pattern).test(v))
    err('pattern', { pattern: schema.pattern }, `must match pattern "${schema.pattern}"`);
}

function arrayKeywords(schema: Record<string, unknown>, v: unknown[], path: string, out: SchemaError[], err: Err): void {
  if (typeof schema.minItems === 'number' && v.length < schema.minItems)
    err('minItems', { limit: schema.minItems }, `must NOT have fewer than ${schema.minItems} items`);
  if (typeof schema.maxItems === 'number' && v.length > schema.maxItems)
    err('maxItems', { limit: schema.maxItems }, `must NOT have more than ${schema.maxItems} items`);
  if (schema.items !== undefined) v.forEach((x, i) => walk(schema.items as Schema, x, path + pointer(i), out));
}

function objectKeywords(schema: Record<string, unknown>, v: Record<string, unknown>, path: string, out: SchemaError[], err: Err): void {
  for (const r of (schema.required ?? []) as string[]) if (!(r in v)) err('required', { missingProperty: r }, `must have required property '${r}'`);
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  const extra = schema.additionalProperties as Schema | undefined;
  for (const [k, x] of Object.entries(v)) {
    if (Object.hasOwn(props, k)) walk(props[k]!, x, path + pointer(k), out);
    else if (extra === false) err('additionalProperties', { additionalProperty: k }, 'must NOT have additional properties');
    else if (extra !== undefined) walk(extra, x, path + pointer(k), out);
  }
  if (schema.propertyNames !== undefined) {
    for (const k of Object.keys(v)) {
      const mine: SchemaError[] = [];
      walk(schema.propertyNames as Schema, k, path, mine);
      if (!mine.length) continue;
      out.push(...mine.map((e) => ({ ...e, propertyName: k })));
      err('propertyNames', { propertyName: k }, 'property name must be valid');
    }
  }
}

/** Every error of `value` against `schema` (empty: valid). Throws on a keyword it does not know. */
export function schemaErrors(schema: Schema, value: unknown): SchemaError[] {
  const out: SchemaError[] = [];
  walk(schema, value, '', out);
  return out;
}
