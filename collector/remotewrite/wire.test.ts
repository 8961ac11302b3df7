import { compressSync, uncompressSync } from 'snappy';
import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  buildBatch,
  classifyStatus,
  decodeWriteRequest,
  encodeWriteRequest,
  encodeLabels,
  fnv1a,
  IdentityCache,
  MAX_RETRY_AFTER_MS,
  type QueuedSample,
  redactUrl,
  retryAfterMs,
  seriesKey,
  sortedLabels,
} from './wire.js';

describe('WriteRequest encoding', () => {
  it('pre-encoded labels give the same bytes as labels encoded in the request', () => {
    const labels = sortedLabels({ __name__: 'ifHCInOctets', node: '村委会-01', ifIndex: '3', zone: 'extranet' });
    const samples = [{ value: 1.5, ts: 1_700_000_000_123 }];
    const plain = encodeWriteRequest([{ labels, samples }]);
    expect(Buffer.from(encodeWriteRequest([{ labels, labelBytes: encodeLabels(labels), samples }]))).toEqual(Buffer.from(plain));
    expect(decodeWriteRequest(plain)).toEqual([{ labels, samples }]);
  });

  it('the identity cache keeps one identity per id, equal to a fresh one, and empties itself at its bound', () => {
    const ids = new IdentityCache(3);
    const set = { zone: 'z', __name__: 'up', node: 'n1' };
    const a = ids.of(set, '{zone="z",node="n1"}');
    expect(ids.of({ ...set }, '{zone="z",node="n1"}')).toBe(a);
    expect(a.labels).toEqual(sortedLabels(set));
    expect(a.key).toBe(seriesKey(a.labels));
    expect(a.hash).toBe(fnv1a(a.key));
    expect(Buffer.from(a.labelBytes)).toEqual(Buffer.from(encodeLabels(a.labels)));
    const other = ids.of({ ...set, __name__: 'down' }, '{zone="z",node="n1"}'); // the same key in another family
    expect(other).not.toBe(a);
    expect(other.labels).toEqual(sortedLabels({ ...set, __name__: 'down' }));
    ids.of({ __name__: 'up', node: 'n2' }, '{node="n2"}');
    ids.of({ __name__: 'up', node: 'n3' }, '{node="n3"}'); // the fourth series empties the cache
    expect(ids.of({ ...set }, '{zone="z",node="n1"}')).not.toBe(a);
    expect(ids.of({ ...set }, undefined)).toEqual(a);
  });

  it('encodes the protobuf bytes of a one-sample request exactly', () => {
    const bytes = encodeWriteRequest([{ labels: [['__name__', 'up']], samples: [{ value: 1, ts: 1000 }] }]);
    // WriteRequest.timeseries(1) len 30 { labels(1) len 14 { name(1) "__name__" value(2) "up" } samples(2) len 12 { value(1) fixed64 1.0, timestamp(2) varint 1000 } }
    expect(Buffer.from(bytes).toString('hex')).toBe(
      `0a1e0a0e0a08${Buffer.from('__name__').toString('hex')}1202${Buffer.from('up').toString('hex')}120c09000000000000f03f10e807`,
    );
  });

  it.each([
    [
      'negative and fractional values, ms timestamps beyond 2^32',
      [
        { value: -0.125, ts: 1_764_000_000_123 },
        { value: 1e300, ts: 1_764_000_000_124 },
      ],
    ],
    [
      'zero and infinities',
      [
        { value: 0, ts: 0 },
        { value: Number.POSITIVE_INFINITY, ts: 1 },
        { value: Number.NEGATIVE_INFINITY, ts: 2 },
      ],
    ],
    ['Counter64 values kept exact up to 2^53', [{ value: 2 ** 53 - 1, ts: 1_764_000_000_000 }]],
  ])('round-trips %s', (_name, samples) => {
    const series = [
      { labels: sortedLabels({ __name__: 'ifHCInOctets', node: 'town-01', ifName: 'GE0/0/1', 中文: '值' }), samples },
      { labels: sortedLabels({ __name__: 'up' }), samples: [{ value: 1, ts: 5 }] },
    ];
    const back = decodeWriteRequest(uncompressSync(compressSync(encodeWriteRequest(series))) as Buffer);
    expect(back).toEqual(series.map((s) => ({ labels: s.labels.map((l) => [...l]), samples: s.samples })));
  });

  it('keeps NaN a NaN', () => {
    const back = decodeWriteRequest(encodeWriteRequest([{ labels: [['__name__', 'x']], samples: [{ value: Number.NaN, ts: 1 }] }]));
    expect(Number.isNaN(back[0]!.samples[0]!.value)).toBe(true);
  });
});

describe('labels', () => {
  it.each([
    [
      { b: '2', a: '1', __name__: 'm' },
      [
        ['__name__', 'm'],
        ['a', '1'],
        ['b', '2'],
      ],
    ],
    [{ z: '', a: 'x' }, [['a', 'x']]],
    [
      { Z: '1', a: '2', _: '3' },
      [
        ['Z', '1'],
        ['_', '3'],
        ['a', '2'],
      ],
    ],
  ])('sortedLabels(%j) sorts by name (byte order) and drops empty values', (set, want) => {
    expect(sortedLabels(set)).toEqual(want);
  });

  it('series keys are length-framed: no two label sets share one', () => {
    expect(seriesKey([['a', 'b,c=d']])).not.toBe(
      seriesKey([
        ['a', 'b'],
        ['c', 'd'],
      ]),
    );
    expect(seriesKey(sortedLabels({ b: '1', a: '2' }))).toBe(seriesKey(sortedLabels({ a: '2', b: '1' })));
  });

  it('fnv1a matches the reference values', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });
});

const q = (name: string, ts: number, value: number): QueuedSample => {
  const labels = sortedLabels({ __name__: name });
  return { key: seriesKey(labels), labels, ts, value };
};

describe('buildBatch', () => {
  it('groups by series in first-seen order and sorts each series by time', () => {
    const { series, superseded } = buildBatch([q('b', 30, 3), q('a', 20, 2), q('b', 10, 1), q('a', 25, 4)]);
    expect(superseded).toBe(0);
    expect(series).toMatchObject([
      {
        labels: [['__name__', 'b']],
        samples: [
          { value: 1, ts: 10 },
          { value: 3, ts: 30 },
        ],
      },
      {
        labels: [['__name__', 'a']],
        samples: [
          { value: 2, ts: 20 },
          { value: 4, ts: 25 },
        ],
      },
    ]);
  });

  it('a repeated timestamp keeps the last queued value and counts the superseded one', () => {
    const { series, superseded } = buildBatch([q('a', 10, 1), q('a', 20, 2), q('a', 10, 9)]);
    expect(superseded).toBe(1);
    expect(series[0]!.samples).toMatchObject([
      { value: 9, ts: 10 },
      { value: 2, ts: 20 },
    ]);
  });
});

describe('retry policy', () => {
  it.each([
    [200, 'ok'],
    [204, 'ok'],
    [400, 'drop'],
    [401, 'drop'],
    [404, 'drop'],
    [413, 'drop'],
    [429, 'retry'],
    [500, 'retry'],
    [503, 'retry'],
    [302, 'drop'],
  ] as const)('status %i → %s', (status, verdict) => {
    expect(classifyStatus(status)).toBe(verdict);
  });

  it.each([
    [500, 'too old sample', 'drop'],
    [500, 'TSDB is busy', 'retry'],
    [503, '', 'retry'],
  ] as const)('status %i with body %j → %s (Prometheus < 2.44 says 500 for a sample outside its window)', (status, body, verdict) => {
    expect(classifyStatus(status, body)).toBe(verdict);
  });

  it.each([
    [undefined, undefined],
    ['', undefined],
    ['3', 3000],
    [' 120 ', 120_000],
    ['Thu, 03 Dec 2026 08:00:10 GMT', 10_000],
    ['Thu, 03 Dec 2026 07:59:00 GMT', 0],
    ['soon', undefined],
  ])('Retry-After %j → %j ms', (h, want) => {
    expect(retryAfterMs(h, Date.parse('2026-12-03T08:00:00Z'))).toBe(want);
  });

  it.each([
    [1, undefined, 30],
    [2, undefined, 60],
    [5, undefined, 480],
    [20, undefined, 5000],
    [1000, undefined, 5000],
    [1, 2000, 2000],
    [3, 10_000, 10_000],
    [3, 3_600_000, MAX_RETRY_AFTER_MS],
  ])('attempt %i with Retry-After %j waits %i ms (min 30 ms, max 5 s)', (attempt, ra, want) => {
    expect(backoffMs(attempt, 30, 5000, ra)).toBe(want);
  });

  it.each([
    ['http://user:secret@prom:9090/api/v1/write?token=abc', 'http://prom:9090/api/v1/write'],
    ['https://[::1]:8428/api/v1/write', 'https://[::1]:8428/api/v1/write'],
    ['not a url', '(invalid url)'],
  ])('the url label of %s is %s (no user info, no query)', (url, want) => {
    expect(redactUrl(url)).toBe(want);
  });
});
