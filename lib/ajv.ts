import AjvModule from 'ajv';
import type { ErrorObject, Options } from 'ajv';

// ajv ships CommonJS with `exports.default`; under NodeNext the default import is the module object.
const AjvCtor = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as typeof AjvModule.default;

export type { ErrorObject };

/** A fresh Ajv instance with the keywords our schemas use for documentation. */
export function makeAjv(opts: Options = {}) {
  const ajv = new AjvCtor({ allErrors: true, strict: true, ...opts });
  // `secret: true` marks values that must never be printed (tokens, communities, keys).
  ajv.addKeyword({ keyword: 'secret', schemaType: 'boolean' });
  // `example` documents a value in --print-default-config without being a default.
  ajv.addKeyword({ keyword: 'example' });
  // `patternDescription` says in words what a `pattern` expects, for error messages.
  ajv.addKeyword({ keyword: 'patternDescription', schemaType: 'string' });
  return ajv;
}
