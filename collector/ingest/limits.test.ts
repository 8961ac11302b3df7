import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/proc.js';
import type { Report } from '../../contract/types.js';
import type { Collector } from '../server.js';
import { postReport, startTestCollector } from '../test-support.js';

/**
 * The ingest listener under abuse: unauthenticated bodies are never read, bodies in flight are bounded
 * (all nodes and per node), slow senders time out, and a node's decompressed bytes are rate limited so it
 * cannot starve the others.
 */
let c: Collector;
let port: number;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  const s = await startTestCollector({
    XUNJIAN_COLLECTOR__INGEST__MAXCONCURRENTBODIES: '3',
    XUNJIAN_COLLECTOR__INGEST__BODYTIMEOUTSECONDS: '1',
    XUNJIAN_COLLECTOR__INGEST__MAXDECOMPRESSEDBYTES: '4096',
    XUNJIAN_COLLECTOR__INGEST__RATELIMIT__BYTESPERSECOND: '1',
    XUNJIAN_COLLECTOR__INGEST__RATELIMIT__BYTESBURST: '4096',
  });
  c = s.collector;
  port = Number(new URL(s.base).port);
  for (const n of ['a', 'b', 'c', 'd', 'e']) tokens[n] = c.store.createToken(n);
});
afterAll(() => c.close());

/** Send only the head of a request (and optionally part of the body); resolve with the status line. */
function partial(headers: Record<string, string>, length: number, bodyPart = ''): Promise<{ status: number; body: string; close: () => void }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let data = '';
    s.on('data', (d) => {
      data += d.toString();
      const m = /^HTTP\/1\.1 (\d+)[\s\S]*?\r\n\r\n([\s\S]*)$/.exec(data);
      if (m && m[2]!.includes('\n')) resolve({ status: Number(m[1]), body: m[2]!, close: () => s.destroy() });
    });
    s.on('error', reject);
    const head = Object.entries({ host: 'x', 'content-type': 'application/json', 'content-length': String(length), ...headers })
      .map(([k, v]) => `${k}: ${v}`)
      .join('\r\n');
    s.write(`POST /api/v1/reports HTTP/1.1\r\n${head}\r\n\r\n${bodyPart}`);
  });
}

/** Wait until the collector holds `bytes` of bodies in flight. */
async function inflight(bytes: number): Promise<void> {
  await waitFor(async () => (await c.metrics.inflightBytes.get()).values[0]?.value === bytes, 5000, `${bytes} bytes of bodies in flight`, 50);
}

const signedHead = (node: string) => {
  const ts = String(Date.now());
  // the signature is checked only once the body is in; these bodies never complete
  return { authorization: `Bearer ${tokens[node]}`, 'x-xunjian-node': node, 'x-xunjian-timestamp': ts, 'x-xunjian-signature': `hmac-sha256=${'0'.repeat(64)}` };
};

const report = (node: string, seq: number, n = 5): Report => ({
  v: 1,
  node: { id: node, site: 's', zone: 'extranet', grade: 3, labels: {} },
  agent: { version: 't', interval: 60 },
  seq,
  sentAt: Date.now(),
  samples: Array.from({ length: n }, (_, i) => ({ name: 'm', labels: { i: String(i) }, value: i, type: 'gauge' as const, ts: Date.now() })),
});

const post = (node: string, r: Report) => postReport(`http://127.0.0.1:${port}`, tokens[node]!, r);

describe('ingest limits', () => {
  it('answers 200 unauthenticated 8 MiB requests from their headers, reading no body', async () => {
    const answers = await Promise.all(Array.from({ length: 200 }, () => partial({}, 8_388_608)));
    for (const a of answers) a.close();
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([401]));
    expect(JSON.parse(answers[0]!.body)).toMatchObject({ error: 'missing_token' });
    const bad = await partial({ authorization: 'Bearer xj1_nope', 'x-xunjian-node': 'a' }, 8_388_608);
    bad.close();
    expect([bad.status, JSON.parse(bad.body).error]).toEqual([401, 'invalid_token']);
    expect((await c.metrics.inflightBytes.get()).values[0]!.value).toBe(0);
  });

  it('bounds bodies in flight per node (429) and in all (503), and times out slow senders (408)', async () => {
    // two bodies of node a are being read (never completed): a third of a is refused at once
    const slow = [partial(signedHead('a'), 1000, '{'), partial(signedHead('a'), 1000, '{')];
    await inflight(2000);
    const third = await partial(signedHead('a'), 1000);
    third.close();
    expect([third.status, JSON.parse(third.body).error]).toEqual([429, 'rate_limited']);
    // a third body of another node fits (3 in all); a fourth does not
    const b = partial(signedHead('b'), 1000, '{');
    await inflight(3000);
    const fourth = await partial(signedHead('c'), 1000);
    fourth.close();
    expect([fourth.status, JSON.parse(fourth.body).error]).toEqual([503, 'overloaded']);
    // the slow ones time out after ingest.bodyTimeoutSeconds
    const timedOut = await Promise.all([...slow, b]);
    for (const t of timedOut) t.close();
    expect(timedOut.map((t) => [t.status, JSON.parse(t.body).error])).toEqual(Array(3).fill([408, 'body_timeout']));
    expect((await c.metrics.inflightBytes.get()).values[0]!.value).toBe(0);
  });

  it('limits a node by decompressed bytes; another node is served meanwhile', async () => {
    const size = Buffer.byteLength(JSON.stringify(report('d', 1)));
    const fits = Math.floor(4096 / size);
    const results: number[] = [];
    for (let i = 1; i <= fits + 2; i++) results.push((await post('d', report('d', i))).status);
    expect(results.slice(0, fits)).toEqual(Array(fits).fill(200));
    expect(results.slice(fits)).toEqual([429, 429]);
    expect(await post('e', report('e', 1))).toEqual({ status: 200, body: { status: 'accepted', node: 'e', seq: 1 } });
    // the refused reports left nothing: the node's receipts are exactly the accepted ones
    expect(c.store.seqs('d')).toEqual(Array.from({ length: fits }, (_, i) => i + 1));
  });
});
