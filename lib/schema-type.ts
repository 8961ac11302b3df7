/**
 * The TypeScript type of a config section, derived from its JSON Schema (written `as const`), so schema,
 * type and default are written once (see agent/sources/*\/config.ts).
 *
 * What the config loader hands out: a property with a `default` or listed in `required` is always
 * there; any other property is optional. Supported keywords: type (string, number, integer, boolean,
 * null, array, object), const, enum, anyOf, items, properties, required, additionalProperties
 * (a schema: a record). Keywords that only narrow a value (pattern, minimum …) do not change the type.
 */
export type FromSchema<S> = Simplify<Of<S>>;

type Of<S> = S extends { const: infer C }
  ? C
  : S extends { enum: readonly (infer E)[] }
    ? E
    : S extends { type: 'string' }
      ? string
      : S extends { type: 'number' | 'integer' }
        ? number
        : S extends { type: 'boolean' }
          ? boolean
          : S extends { type: 'null' }
            ? null
            : S extends { type: 'array'; items: infer I }
              ? FromSchema<I>[]
              : S extends { type: 'object' }
                ? ObjectOf<S>
                : S extends { anyOf: readonly (infer A)[] }
                  ? FromSchema<A>
                  : unknown;

type Required<S> = S extends { required: readonly (infer R)[] } ? R : never;
type Always<P, R> = { -readonly [K in keyof P as K extends R ? K : P[K] extends { default: unknown } ? K : never]: FromSchema<P[K]> };
type Maybe<P, R> = { -readonly [K in keyof P as K extends R ? never : P[K] extends { default: unknown } ? never : K]?: FromSchema<P[K]> };
type Extra<S> = S extends { additionalProperties: infer A } ? (A extends boolean ? unknown : Record<string, FromSchema<A>>) : unknown;
type ObjectOf<S> = (S extends { properties: infer P } ? Always<P, Required<S>> & Maybe<P, Required<S>> : unknown) & Extra<S>;

type Simplify<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]: T[K] } : T;

/**
 * `T` with the keys `K` optional: for the options added after code (tests, benchmarks) started building
 * configs by hand; the loader always fills them, the code reading them keeps its fallback.
 */
export type WithOptional<T, K extends keyof T> = Simplify<Omit<T, K> & Partial<Pick<T, K>>>;
