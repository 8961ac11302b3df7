import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { makeAjv } from '../../../lib/ajv.js';

/**
 * SNMP profiles are data (YAML), not code: `rules/snmp/profiles/*.yaml` ships the built-in ones and
 * `sources.snmp.profilesDir` adds or overrides by name. A vendor profile applies when the device's
 * sysObjectID starts with one of its `match` prefixes; a profile with no `match` applies to all.
 */
export type IndexType = 'integer' | 'inetAddress' | 'octets' | 'implied';

export interface Profile {
  name: string;
  description?: string;
  match: string[];
  scalars?: { name: string; oid: string; type: 'counter' | 'gauge' | 'string'; help?: string }[];
  tables?: {
    name: string;
    entry: string;
    indexes: { label: string; type: IndexType }[];
    filter?: Record<string, string>;
    lookups?: Record<string, { oid: string; index?: string[] }>;
    columns: { column: number; name: string; type: 'counter' | 'gauge' | 'string'; help?: string }[];
  }[];
}

const OID = '^[0-9]+(\\.[0-9]+)+$';
const NAME = '^[a-zA-Z_][a-zA-Z0-9_]*$';
const profileSchema = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9_-]+$' },
    description: { type: 'string' },
    match: { type: 'array', items: { type: 'string', pattern: OID }, default: [] },
    scalars: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'oid', 'type'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', pattern: NAME },
          oid: { type: 'string', pattern: OID },
          type: { enum: ['counter', 'gauge', 'string'] },
          help: { type: 'string' },
        },
      },
    },
    tables: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'entry', 'indexes', 'columns'],
        additionalProperties: false,
        properties: {
          name: { type: 'string' },
          entry: { type: 'string', pattern: OID },
          indexes: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              required: ['label', 'type'],
              additionalProperties: false,
              properties: { label: { type: 'string', pattern: NAME }, type: { enum: ['integer', 'inetAddress', 'octets', 'implied'] } },
            },
          },
          filter: { type: 'object', additionalProperties: { type: 'string' } },
          lookups: {
            type: 'object',
            propertyNames: { pattern: NAME },
            additionalProperties: {
              type: 'object',
              required: ['oid'],
              additionalProperties: false,
              properties: { oid: { type: 'string', pattern: OID }, index: { type: 'array', items: { type: 'string' } } },
            },
          },
          columns: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              required: ['column', 'name', 'type'],
              additionalProperties: false,
              properties: {
                column: { type: 'integer', minimum: 1 },
                name: { type: 'string', pattern: NAME },
                type: { enum: ['counter', 'gauge', 'string'] },
                help: { type: 'string' },
              },
            },
          },
        },
      },
    },
  },
} as const;

const validate = makeAjv({ useDefaults: true }).compile<Profile>(profileSchema);

/** The built-in profiles folder, from the source tree or from dist/. */
export function builtinProfilesDir(): string {
  for (const rel of ['../../../rules/snmp/profiles', '../../../../rules/snmp/profiles']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error('built-in SNMP profiles (rules/snmp/profiles) not found');
}

export function loadProfileFile(file: string): Profile {
  let doc: unknown;
  try {
    doc = YAML.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`SNMP profile ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!validate(doc)) {
    const e = validate.errors![0]!;
    throw new Error(`SNMP profile ${file}: ${e.instancePath || '(top)'} ${e.message}`);
  }
  return doc;
}

/** Built-in profiles, then those of `extraDir` (same name replaces). */
export function loadProfiles(extraDir?: string): Map<string, Profile> {
  const out = new Map<string, Profile>();
  for (const dir of [builtinProfilesDir(), ...(extraDir ? [extraDir] : [])]) {
    for (const f of readdirSync(dir)
      .filter((n) => /\.ya?ml$/.test(n))
      .sort()) {
      const p = loadProfileFile(join(dir, f));
      out.set(p.name, p);
    }
  }
  return out;
}

/** Profiles that apply to a device: the generic ones plus vendors whose prefix matches sysObjectID. */
export function selectProfiles(all: Map<string, Profile>, sysObjectID: string | undefined): Profile[] {
  return [...all.values()].filter(
    (p) => p.match.length === 0 || (sysObjectID !== undefined && p.match.some((m) => sysObjectID === m || sysObjectID.startsWith(`${m}.`))),
  );
}
