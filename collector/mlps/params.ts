/**
 * Site parameters: the pack's defaults overridden in a YAML file, for all targets, per zone, per
 * site and per node (most specific wins: defaults < zones < sites < nodes). An unknown parameter or a
 * value of the wrong type is refused with file, line and what was expected.
 *
 * ```yaml
 * defaults: { maxPasswordAgeDays: 60 }
 * zones:
 *   extranet: { shadowMaxMode: "0640" }
 * sites:
 *   town-07: { highRiskPortsAllowed: [tcp/445] }
 * nodes:
 *   web-01: { allowedAccounts: [root, deploy] }
 * ```
 */
import { readFileSync } from 'node:fs';
import { LineCounter, type Node, isMap, isScalar, parseDocument } from 'yaml';
import { ConfigError } from '../../lib/config.js';
import { paramType } from './cel.js';
import type { Pack } from './pack.js';

type Values = Record<string, unknown>;
export interface ParamOverrides {
  file?: string;
  defaults: Values;
  zones: Record<string, Values>;
  sites: Record<string, Values>;
  nodes: Record<string, Values>;
}

export const NO_OVERRIDES: ParamOverrides = { defaults: {}, zones: {}, sites: {}, nodes: {} };

const SCOPES = ['defaults', 'zones', 'sites', 'nodes'] as const;

/** Parses and validates a parameters file against a pack. Throws ConfigError (exit 2) naming file:line and key. */
export function parseParams(text: string, file: string, pack: Pack): ParamOverrides {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const at = (n: Node | null | undefined) => `${file}:${n?.range ? lc.linePos(n.range[0]).line : 1}`;
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new ConfigError(`${file}:${lc.linePos(e.pos[0]).line}`, '', `YAML: ${e.message.split('\n')[0]}`);
  }
  const out: ParamOverrides = { file, defaults: {}, zones: {}, sites: {}, nodes: {} };
  const root = doc.contents as Node | null;
  if (root === null || (isScalar(root) && root.value === null)) return out;
  if (!isMap(root)) throw new ConfigError(at(root), '', 'a map with defaults, zones, sites and nodes');
  const values = (n: Node | null, key: string): Values => {
    if (n === null || (isScalar(n) && n.value === null)) return {};
    if (!isMap(n)) throw new ConfigError(at(n), key, 'a map of parameter names to values');
    const v: Values = {};
    for (const p of n.items) {
      const name = String((p.key as { value?: unknown }).value);
      const def = pack.params[name];
      if (!def) throw new ConfigError(at(p.key as Node), `${key}.${name}`, `a parameter of ${pack.name} (${Object.keys(pack.params).sort().join(', ')})`);
      const val = (p.value as { toJSON?(): unknown } | null)?.toJSON?.() ?? null;
      const t = paramType(val);
      if (t !== def.type)
        throw new ConfigError(
          at((p.value as Node) ?? (p.key as Node)),
          `${key}.${name}`,
          `${describe(def.type)} like the default ${JSON.stringify(def.default)} (${def.title.en})`,
        );
      v[name] = val;
    }
    return v;
  };
  for (const p of root.items) {
    const scope = String((p.key as { value?: unknown }).value) as (typeof SCOPES)[number];
    if (!SCOPES.includes(scope)) throw new ConfigError(at(p.key as Node), scope, `one of ${SCOPES.join(', ')}`);
    if (scope === 'defaults') {
      out.defaults = values(p.value as Node | null, 'defaults');
      continue;
    }
    const m = p.value as Node | null;
    if (m === null) continue;
    if (!isMap(m)) throw new ConfigError(at(m), scope, `a map of ${scope.slice(0, -1)} name to parameters`);
    for (const q of m.items) {
      const name = String((q.key as { value?: unknown }).value);
      out[scope][name] = values(q.value as Node | null, `${scope}.${name}`);
    }
  }
  return out;
}

const describe = (t: string) => (t === 'double' ? 'a number' : t === 'bool' ? 'true or false' : t === 'string' ? 'a string' : 'a list of strings');

export function loadParams(file: string, pack: Pack): ParamOverrides {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, '', `a readable YAML file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseParams(text, file, pack);
}

/** The parameters of one target: pack defaults < defaults < its zone < its site < the node itself. */
export function resolveParams(pack: Pack, o: ParamOverrides, target: { id: string; zone?: string; site?: string }): Values {
  // targets of one zone and site without their own overrides share one object (10,000 nodes, a few zones)
  if (!o.nodes[target.id]) {
    let byPack = CACHE.get(o);
    if (!byPack) {
      byPack = new WeakMap();
      CACHE.set(o, byPack);
    }
    let m = byPack.get(pack);
    if (!m) {
      m = new Map();
      byPack.set(pack, m);
    }
    const key = `${target.zone ?? ''}\u0000${target.site ?? ''}`;
    let v = m.get(key);
    if (!v) {
      v = Object.freeze(compute(pack, o, { id: '\u0000', zone: target.zone, site: target.site }));
      m.set(key, v);
    }
    return v;
  }
  return compute(pack, o, target);
}

const CACHE = new WeakMap<ParamOverrides, WeakMap<Pack, Map<string, Values>>>();

function compute(pack: Pack, o: ParamOverrides, target: { id: string; zone?: string; site?: string }): Values {
  const out: Values = {};
  for (const [k, d] of Object.entries(pack.params)) out[k] = d.default;
  Object.assign(out, o.defaults, target.zone ? o.zones[target.zone] : undefined, target.site ? o.sites[target.site] : undefined, o.nodes[target.id]);
  return out;
}
