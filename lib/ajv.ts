import { createRequire } from 'node:module';
import type AjvModule from 'ajv';
import type { ErrorObject, Options } from 'ajv';

// ajv (CommonJS) is loaded on the first makeAjv(), not with every module that may compile a schema:
// the agent imports the contract's LIMITS but never compiles (its config and posture checks walk the
// schema, lib/schema-check.ts), and is spared ajv's memory. Its `exports.default` is the class.
const require = createRequire(import.meta.url);
let AjvCtor: typeof AjvModule.default | undefined;
const ajvClass = (): typeof AjvModule.default => {
  const m = require('ajv') as { default?: typeof AjvModule.default };
  AjvCtor ??= (m.default ?? m) as typeof AjvModule.default;
  return AjvCtor;
};

export type { ErrorObject };

/** A fresh Ajv instance with the keywords our schemas use for documentation. */
export function makeAjv(opts: Options = {}) {
  const ajv = new (ajvClass())({ allErrors: true, strict: true, ...opts });
  // `secret: true` marks values that must never be printed (tokens, communities, keys).
  ajv.addKeyword({ keyword: 'secret', schemaType: 'boolean' });
  // `example` documents a value in --print-default-config without being a default.
  ajv.addKeyword({ keyword: 'example' });
  // `patternDescription` says in words what a `pattern` expects, for error messages.
  ajv.addKeyword({ keyword: 'patternDescription', schemaType: 'string' });
  return ajv;
}
