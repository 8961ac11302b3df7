/**
 * A JSON Schema validator that walks the schema instead of generating code. Ajv compiles a schema into
 * a JavaScript function; for the 49 KB posture facts schema that costs ≈40 MiB of RSS and seconds of
 * CPU in a process that checks one document an hour (bench/README.md, agent idle memory). This one
 * costs nothing up front and is fast enough for documents of that size.
 *
 * Keywords: type, const, enum, anyOf, allOf, if/then/else, properties, required,
 * additionalProperties, propertyNames, items (one schema), pattern, minLength, maxLength, minimum,
 * maximum, exclusiveMinimum, exclusiveMaximum, minItems, maxItems, uniqueItems, boolean schemas; `default`
 * filled in like Ajv's useDefaults. Annotation
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
  'uniqueItems',
]);

const patterns = new Map<string, RegExp>();
const regex = (p: string): RegExp => {
  let r = patterns.get(p);
  if (!r) {
    r = new RegExp(p, 'u');
    patterns.set(p, r);
  }
  return r;
};

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
  maximum: ['<=', (v, l) => v <= l],
  minimum: ['>=', (v, l) => v >= l],
  exclusiveMaximum: ['<', (v, l) => v < l],
  exclusiveMinimum: ['>', (v, l) => v > l],
};

/** Keywords of each type's group, as Ajv orders them (its error order is kept, so the first error is Ajv's). */
const GROUPS: [string, readonly string[]][] = [
  ['number', ['maximum', 'minimum', 'exclusiveMaximum', 'exclusiveMinimum']],
  ['string', ['maxLength', 'minLength', 'pattern']],
  ['array', ['maxItems', 'minItems', 'uniqueItems', 'items']],
  ['object', ['required', 'propertyNames', 'additionalProperties', 'properties']],
];

interface Walk {
  out: SchemaError[];
  /** Fill in `default`s of missing properties (Ajv's useDefaults), outside anyOf and if conditions. */
  defaults: boolean;
}

type Err = (keyword: string, params: Record<string, unknown>, message: string) => void;

/**
 * Walk one schema over one value, appending every error to `w.out`, in Ajv's order: the type (first,
 * unless the schema has keywords of its one type: then where that type's group is), const, enum,
 * anyOf, allOf, if; then the number, string, array and object keywords.
 */
function walk(schema: Schema, v: unknown, path: string, w: Walk): void {
  if (schema === true) return;
  if (schema === false) {
    w.out.push({ instancePath: path, keyword: 'false schema', params: {}, message: 'boolean schema is false' });
    return;
  }
  for (const k of Object.keys(schema))
    if (!KEYWORDS.has(k) && !ANNOTATIONS.has(k)) throw new Error(`schema-check: unsupported keyword '${k}' at ${path || '/'}`);
  const err: Err = (keyword, params, message) => w.out.push({ instancePath: path, keyword, params, message });
  const types: string[] = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  const typeOk = types.length === 0 || types.some((t) => hasType(v, t));
  const typeError = () => err('type', { type: types.join(',') }, `must be ${types.join(',')}`);
  const grouped = types.length === 1 ? GROUPS.find(([t, kws]) => t === types[0] && kws.some((k) => k in schema)) : undefined;
  if (!typeOk && !grouped) typeError();
  untypedKeywords(schema, v, path, w, err);
  for (const [t] of GROUPS) {
    if (hasType(v, t)) {
      if (t === 'number') numberKeywords(schema, v as number, err);
      else if (t === 'string') stringKeywords(schema, v as string, err);
      else if (t === 'array') arrayKeywords(schema, v as unknown[], path, w, err);
      else objectKeywords(schema, v as Record<string, unknown>, path, w, err);
    } else if (grouped?.[0] === t && !typeOk) typeError();
  }
}

function untypedKeywords(schema: Record<string, unknown>, v: unknown, path: string, w: Walk, err: Err): void {
  if ('const' in schema && !equal(v, schema.const)) err('const', { allowedValue: schema.const }, 'must be equal to constant');
  if (Array.isArray(schema.enum) && !schema.enum.some((e: unknown) => equal(v, e)))
    err('enum', { allowedValues: schema.enum }, 'must be equal to one of the allowed values');
  if (Array.isArray(schema.anyOf)) {
    const branches: SchemaError[] = [];
    const ok = (schema.anyOf as Schema[]).some((s) => {
      const mine: Walk = { out: [], defaults: false };
      walk(s, v, path, mine);
      branches.push(...mine.out);
      return mine.out.length === 0;
    });
    if (!ok) w.out.push(...branches, { instancePath: path, keyword: 'anyOf', params: {}, message: 'must match a schema in anyOf' });
  }
  for (const s of (schema.allOf ?? []) as Schema[]) walk(s, v, path, w);
  if (schema.if !== undefined) {
    const cond: Walk = { out: [], defaults: false };
    walk(schema.if as Schema, v, path, cond);
    const branch = cond.out.length === 0 ? 'then' : 'else';
    if (schema[branch] !== undefined) {
      const mine: Walk = { out: [], defaults: w.defaults };
      walk(schema[branch] as Schema, v, path, mine);
      if (mine.out.length)
        w.out.push(...mine.out, { instancePath: path, keyword: 'if', params: { failingKeyword: branch }, message: `must match "${branch}" schema` });
    }
  }
}

function numberKeywords(schema: Record<string, unknown>, v: number, err: Err): void {
  for (const [k, [comparison, ok]] of Object.entries(LIMITS)) {
    const limit = schema[k];
    if (typeof limit === 'number' && !ok(v, limit)) err(k, { comparison, limit }, `must be ${comparison} ${limit}`);
  }
}

function stringKeywords(schema: Record<string, unknown>, v: string, err: Err): void {
  const length = () => [...v].length;
  if (typeof schema.maxLength === 'number' && length() > schema.maxLength)
    err('maxLength', { limit: schema.maxLength }, `must NOT have more than ${schema.maxLength} characters`);
  if (typeof schema.minLength === 'number' && length() < schema.minLength)
    err('minLength', { limit: schema.minLength }, `must NOT have fewer than ${schema.minLength} characters`);
  if (typeof schema.pattern === 'string' && !regex(schema.pattern).test(v))
    err('pattern', { pattern: schema.pattern }, `must match pattern "${schema.pattern}"`);
}

function arrayKeywords(schema: Record<string, unknown>, v: unknown[], path: string, w: Walk, err: Err): void {
  if (typeof schema.maxItems === 'number' && v.length > schema.maxItems)
    err('maxItems', { limit: schema.maxItems }, `must NOT have more than ${schema.maxItems} items`);
  if (typeof schema.minItems === 'number' && v.length < schema.minItems)
    err('minItems', { limit: schema.minItems }, `must NOT have fewer than ${schema.minItems} items`);
  if (schema.uniqueItems === true) {
    outer: for (let i = v.length; i--; ) {
      for (let j = i; j--; ) {
        if (equal(v[i], v[j])) {
          err('uniqueItems', { i, j }, `must NOT have duplicate items (items ## ${j} and ${i} are identical)`);
          break outer;
        }
      }
    }
  }
  if (schema.items !== undefined) for (const [i, x] of v.entries()) walk(schema.items as Schema, x, path + pointer(i), w);
}

function objectKeywords(schema: Record<string, unknown>, v: Record<string, unknown>, path: string, w: Walk, err: Err): void {
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  if (w.defaults) {
    for (const [k, p] of Object.entries(props)) if (v[k] === undefined && typeof p === 'object' && 'default' in p) v[k] = structuredClone(p.default);
  }
  for (const r of (schema.required ?? []) as string[]) if (!(r in v)) err('required', { missingProperty: r }, `must have required property '${r}'`);
  if (schema.propertyNames !== undefined) {
    for (const k of Object.keys(v)) {
      const mine: Walk = { out: [], defaults: false };
      walk(schema.propertyNames as Schema, k, path, mine);
      if (!mine.out.length) continue;
      w.out.push(...mine.out.map((e) => ({ ...e, propertyName: k })));
      err('propertyNames', { propertyName: k }, 'property name must be valid');
    }
  }
  const extra = schema.additionalProperties as Schema | undefined;
  for (const [k, x] of Object.entries(v)) {
    if (Object.hasOwn(props, k)) continue;
    if (extra === false) err('additionalProperties', { additionalProperty: k }, 'must NOT have additional properties');
    else if (extra !== undefined) walk(extra, x, path + pointer(k), w);
  }
  for (const [k, p] of Object.entries(props)) if (v[k] !== undefined) walk(p, v[k], path + pointer(k), w);
}

/**
 * Every error of `value` against `schema` (empty: valid), the first being the one Ajv reports without
 * allErrors. With `defaults`, missing properties get their schema `default` (`value` is changed, as
 * Ajv's useDefaults does). Throws on a keyword it does not know.
 */
export function schemaErrors(schema: Schema, value: unknown, opts: { defaults?: boolean } = {}): SchemaError[] {
  const w: Walk = { out: [], defaults: opts.defaults === true };
  walk(schema, value, '', w);
  return w.out;
}

/** Keywords of `schema` this validator does not implement, with where they are (a schema test calls it). */
export function unsupportedKeywords(schema: Schema, path = '#'): string[] {
  if (typeof schema === 'boolean') return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(schema)) {
    if (!KEYWORDS.has(k) && !ANNOTATIONS.has(k)) out.push(`${path}/${k}`);
    else if (k === 'properties')
      for (const [p, s] of Object.entries(v as Record<string, Schema>)) out.push(...unsupportedKeywords(s, `${path}/properties/${p}`));
    else if (['items', 'additionalProperties', 'propertyNames', 'if', 'then', 'else'].includes(k) && typeof v === 'object')
      out.push(...unsupportedKeywords(v, `${path}/${k}`));
    else if (['anyOf', 'allOf'].includes(k)) for (const [i, s] of (v as Schema[]).entries()) out.push(...unsupportedKeywords(s, `${path}/${k}/${i}`));
  }
  return out;
}
