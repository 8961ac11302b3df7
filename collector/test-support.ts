import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { encodeReport } from '../agent/delivery/push.js';
import { sign, tokenDigest } from '../contract/sign.js';
import type { Report } from '../contract/types.js';
import { loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/log.js';
import { type CollectorConfig, collectorConfigSpec } from './config.js';
import { Collector } from './server.js';

/** A collector config on a fresh temp data dir and a free loopback port, with env-style overrides. */
export function testCollectorConfig(env: Record<string, string> = {}): CollectorConfig {
  const dir = mkdtempSync(join(tmpdir(), 'xj-collector-'));
  return loadConfig<CollectorConfig>(collectorConfigSpec, undefined, {
    XUNJIAN_COLLECTOR__LISTEN: '127.0.0.1:0',
    XUNJIAN_COLLECTOR__DATADIR: join(dir, 'data'),
    ...env,
  });
}

/** A listening in-process collector and its base URL. */
export async function startTestCollector(env: Record<string, string> = {}, now?: () => number): Promise<{ collector: Collector; base: string }> {
  const collector = new Collector(testCollectorConfig(env), createLogger({ level: 'error' }), now);
  const addr = await collector.listen();
  return { collector, base: `http://127.0.0.1:${addr.port}` };
}

/**
 * POST one report as an agent would: gzipped, signed (HMAC-SHA256 keyed by the token's digest) with
 * `ts` as the signed timestamp (default now). Resolves with the status and the JSON answer.
 */
export async function postReport(
  base: string,
  token: string,
  r: Report,
  ts = String(Date.now()),
): Promise<{ status: number; body: { status?: string; error?: string; message?: string } }> {
  const body = encodeReport(r);
  const res = await request(`${base}/api/v1/reports`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      authorization: `Bearer ${token}`,
      'x-xunjian-node': r.node.id,
      'x-xunjian-timestamp': ts,
      'x-xunjian-signature': sign('hmac-sha256', tokenDigest(token), ts, body),
    },
  });
  return { status: res.statusCode, body: (await res.body.json()) as { status?: string; error?: string; message?: string } };
}
