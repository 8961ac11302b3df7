import {
  POSTURE_FACT_IDS,
  POSTURE_SCHEMA_VERSION,
  type Fact,
  type PostureFacts,
  type PostureFactsWire,
  postureSchemaV1,
} from '../../../contract/facts/posture.js';
import { schemaErrors } from '../../../lib/schema-check.js';
import { accountFacts, passwordFacts } from './accounts.js';
import { Host, unknown } from './host.js';
import { boundaryFacts, osFacts, timeFacts, trustFacts } from './platform.js';
import { sshFacts } from './ssh.js';
import { auditFacts, intrusionFacts, permissionFacts } from './system.js';

type Facts = Record<string, Fact>;
/** An area of collection: the fact ids it produces (by prefix or exact id) and how. */
export interface Area {
  name: string;
  ids: (id: string) => boolean;
  run: (host: Host) => Promise<Facts> | Facts;
}

const prefix =
  (...ps: string[]) =>
  (id: string) =>
    ps.some((p) => (p.endsWith('.') ? id.startsWith(p) : id === p));

export const AREAS: Area[] = [
  { name: 'ssh', ids: (id) => id.startsWith('ssh.') && id !== 'ssh.running', run: sshFacts },
  { name: 'password', ids: prefix('password.', 'session.tmout'), run: passwordFacts },
  { name: 'accounts', ids: prefix('accounts.', 'sudo.', 'su.'), run: accountFacts },
  { name: 'permissions', ids: prefix('files.'), run: permissionFacts },
  { name: 'audit and logs', ids: prefix('audit.', 'log.', 'backup.'), run: auditFacts },
  { name: 'intrusion', ids: prefix('net.', 'packages.', 'updates.', 'security.', 'ssh.running'), run: intrusionFacts },
  { name: 'firewall', ids: prefix('firewall.'), run: boundaryFacts },
  { name: 'trust', ids: prefix('mac.', 'boot.', 'trust.'), run: trustFacts },
  { name: 'time', ids: prefix('time.'), run: async (h) => ({ 'time.sync': await timeFacts(h) }) },
  { name: 'os', ids: prefix('os.'), run: (h) => ({ 'os.release': osFacts(h) }) },
];

/** The fact ids of an area among the schema's ids. */
export const areaIds = (a: Area): string[] => POSTURE_FACT_IDS.filter((id) => a.ids(id));

/**
 * Every posture fact of the host under `root` ("/" = the live host). An area that throws or runs past
 * the overall deadline makes each of its facts unknown; a schema fact no area produced is unknown too,
 * so no fact id ever vanishes.
 */
export async function collectPosture(
  root: string,
  commandTimeoutSeconds = 10,
  now = new Date(),
  areas: Area[] = AREAS,
  deadlineSeconds = 600,
): Promise<PostureFacts> {
  const host = new Host(root || '/', commandTimeoutSeconds * 1000);
  const facts: Facts = {};
  const deadline = Date.now() + deadlineSeconds * 1000;
  for (const a of areas) {
    const left = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      if (left <= 0) throw new Error(`not run: the collection deadline of ${deadlineSeconds} s had passed`);
      const got = await Promise.race([
        Promise.resolve().then(() => a.run(host)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`did not finish within the collection deadline of ${deadlineSeconds} s`)), left);
        }),
      ]);
      Object.assign(facts, got);
    } catch (err) {
      for (const id of areaIds(a)) facts[id] = unknown(`collector error in ${a.name}: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
  for (const id of POSTURE_FACT_IDS) facts[id] ??= unknown('not collected: no collector produced this fact');
  // code-unit order, not localeCompare: the same on every host whatever its locale, and no ICU collator in the agent
  const sorted = Object.fromEntries(Object.entries(facts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const p: PostureFacts = {
    schemaVersion: POSTURE_SCHEMA_VERSION,
    collectedAt: now.toISOString(),
    root: host.live ? '/' : root,
    live: host.live,
    facts: sorted,
  };
  return conformToSchema(p);
}

/**
 * A fact whose value breaks the schema (a collector bug meeting an unforeseen host) becomes unknown
 * with the schema error as its reason, so the collector never refuses the report that carries it.
 */
export function conformToSchema(p: PostureFacts): PostureFacts {
  // walked, not compiled: Ajv's generated validator of this schema costs ≈40 MiB of RSS in the agent (bench/README.md)
  const errors = schemaErrors(postureSchemaV1, p);
  if (!errors.length) return p;
  const why = new Map<string, Set<string>>();
  for (const e of errors) {
    const id = e.instancePath.split('/')[2];
    if (!id || !p.facts[id] || e.keyword === 'anyOf') continue;
    if (!why.has(id)) why.set(id, new Set());
    why.get(id)!.add(`${e.instancePath}: ${e.message ?? 'invalid'}`);
  }
  for (const [id, errs] of why) p.facts[id] = unknown(`collector bug: value does not match facts schema v1 (${[...errs].join('; ')})`);
  return p;
}

/** The `host.posture` group as sent: without `collectedAt`, which changes every run. */
export function postureWire(p: PostureFacts): PostureFactsWire {
  const { collectedAt: _t, ...wire } = p;
  return wire;
}
