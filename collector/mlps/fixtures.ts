/**
 * The posture fixtures (agent/sources/posture/fixtures) collected as facts, for the MLPS tests and
 * bench/mlps. Git keeps no modes or times, so each tree is copied and given its `.fixture.json`
 * modes and ages first, as the posture tests do.
 */
import { chmodSync, cpSync, mkdtempSync, readFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PostureFacts } from '../../contract/facts/posture.js';
import { collectPosture } from '../../agent/sources/posture/collect.js';

export const FIXTURES = ['debian-hardened', 'debian-weak', 'openeuler-hardened', 'kylin-weak'] as const;
export type FixtureName = (typeof FIXTURES)[number];

/** A prepared copy of a fixture tree (modes and ages applied); returns its root. */
export function fixtureRoot(name: FixtureName): string {
  const src = new URL(`../../agent/sources/posture/fixtures/${name}`, import.meta.url).pathname.replace('/dist/', '/');
  const root = join(mkdtempSync(join(tmpdir(), `xj-mlps-${name}-`)), 'root');
  cpSync(src, root, { recursive: true, verbatimSymlinks: true });
  const meta = JSON.parse(readFileSync(join(src, '.fixture.json'), 'utf8')) as { modes: Record<string, string>; ageDays?: Record<string, number> };
  for (const [p, mode] of Object.entries(meta.modes)) chmodSync(join(root, p), Number.parseInt(mode, 8));
  for (const [p, days] of Object.entries(meta.ageDays ?? {})) {
    const t = new Date(Date.now() - days * 86_400_000 - 3600_000);
    utimesSync(join(root, p), t, t);
  }
  return root;
}

export async function fixtureFacts(): Promise<Record<FixtureName, PostureFacts>> {
  const out = {} as Record<FixtureName, PostureFacts>;
  for (const n of FIXTURES) out[n] = await collectPosture(fixtureRoot(n), 5);
  return out;
}
