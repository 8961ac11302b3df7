import type { LabelSet } from '../core/component.js';
import { type Matcher, matchesAll, matcherString, parseMatchers } from '../alerts/labels.js';
import type { RouteConfig } from './config.js';
import { parseDuration } from './duration.js';

/**
 * The route tree, with Alertmanager's semantics (dispatch/route.go): options inherit from the parent;
 * matching is depth-first, left to right; at each node the first matching child wins unless it has
 * `continue`; a node none of whose children match is itself the match.
 */
export interface Route {
  /** Stable id: parent key + '/' + matchers + index (two siblings with the same matchers stay apart). */
  key: string;
  receiver: string;
  matchers: Matcher[];
  continue: boolean;
  /** null: group by all labels (`...`). */
  groupBy: string[] | null;
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  routes: Route[];
}

export class RouteError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

export function buildRoute(cfg: RouteConfig, parent?: Route, key = 'notify.route', index = 0): Route {
  let matchers: Matcher[] = [];
  try {
    matchers = (cfg.matchers ?? []).flatMap((m) => parseMatchers(m));
  } catch (err) {
    throw new RouteError(`${key}.matchers`, (err as Error).message);
  }
  const dur = (name: 'group_wait' | 'group_interval' | 'repeat_interval', inherited: number | undefined, def: number): number => {
    const v = cfg[name];
    if (v === undefined) return inherited ?? def;
    const ms = parseDuration(v);
    if (!Number.isFinite(ms)) throw new RouteError(`${key}.${name}`, `expected a duration such as 30s, 5m, 4h, got '${v}'`);
    return ms;
  };
  const receiver = cfg.receiver ?? parent?.receiver;
  if (!receiver) throw new RouteError(`${key}.receiver`, 'the root route must name a receiver');
  const groupBy = cfg.group_by === undefined ? (parent ? parent.groupBy : []) : cfg.group_by.includes('...') ? null : [...new Set(cfg.group_by)].sort();
  const r: Route = {
    key: `${parent ? `${parent.key}/` : ''}${index}${matchers.length ? `{${matchers.map(matcherString).join(',')}}` : '{}'}`,
    receiver,
    matchers,
    continue: cfg.continue ?? false,
    groupBy,
    groupWaitMs: dur('group_wait', parent?.groupWaitMs, 30_000),
    groupIntervalMs: dur('group_interval', parent?.groupIntervalMs, 300_000),
    repeatIntervalMs: dur('repeat_interval', parent?.repeatIntervalMs, 14_400_000),
    routes: [],
  };
  r.routes = (cfg.routes ?? []).map((c, i) => buildRoute(c, r, `${key}.routes.${i}`, i));
  return r;
}

export function matchRoute(r: Route, labels: LabelSet): Route[] {
  if (!matchesAll(r.matchers, labels)) return [];
  const all: Route[] = [];
  for (const c of r.routes) {
    const m = matchRoute(c, labels);
    all.push(...m);
    if (m.length > 0 && !c.continue) break;
  }
  return all.length ? all : [r];
}

export function walkRoutes(r: Route, visit: (r: Route) => void): void {
  visit(r);
  for (const c of r.routes) walkRoutes(c, visit);
}

export function groupLabels(r: Route, labels: LabelSet): LabelSet {
  const out: LabelSet = {};
  for (const [k, v] of Object.entries(labels)) if (r.groupBy === null || r.groupBy.includes(k)) out[k] = v;
  return out;
}
