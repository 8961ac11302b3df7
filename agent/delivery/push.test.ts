import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeReport, parseRetryAfter, targetName } from './push.js';
import { chainFingerprints, chainMatchesPins, normalizeFingerprint } from './tls.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    { h: '5', want: 5000 },
    { h: '0', want: 0 },
    { h: '1.5', want: 1500 },
    { h: ['7', '9'], want: 7000 },
    { h: 'Thu, 01 Jan 2026 00:00:30 GMT', want: 30_000 },
    { h: 'Wed, 31 Dec 2025 23:59:00 GMT', want: 0 }, // in the past
    { h: 'soon', want: undefined },
    { h: '', want: undefined },
    { h: undefined, want: undefined },
  ])('$h → $want', ({ h, want }) => {
    expect(parseRetryAfter(h, now)).toBe(want);
  });
});

describe('targetName', () => {
  it.each([
    { url: 'http://127.0.0.1:9700', name: undefined, want: '127.0.0.1_9700' },
    { url: 'https://collector-a.gov.example', name: undefined, want: 'collector-a.gov.example_443' },
    { url: 'http://[::1]:9700/', name: undefined, want: '___1__9700' },
    { url: 'http://x:1', name: 'primary', want: 'primary' },
  ])('$url ($name) → $want', ({ url, name, want }) => {
    expect(targetName({ url, name })).toBe(want);
  });
});

it('encodeReport: gzip of one JSON line', () => {
  const r = {
    v: 1 as const,
    node: { id: 'n', site: '', zone: 'other' as const, grade: 3 as const, labels: {} },
    agent: { version: 'x', interval: 1 },
    seq: 1,
    sentAt: 2,
    samples: [],
  };
  expect(gunzipSync(encodeReport(r)).toString()).toBe(`${JSON.stringify(r)}\n`);
});

describe('CA pinning', () => {
  const root = { fingerprint256: 'AA:BB' } as never as Parameters<typeof chainFingerprints>[0];
  (root as { issuerCertificate?: unknown }).issuerCertificate = root; // self-signed root points to itself
  const inter = { fingerprint256: 'cc:dd', issuerCertificate: root } as never as Parameters<typeof chainFingerprints>[0];
  const leaf = { fingerprint256: 'EE:FF', issuerCertificate: inter } as never as Parameters<typeof chainFingerprints>[0];
  it('walks the chain up to the self-signed root', () => {
    expect(chainFingerprints(leaf)).toEqual(['EEFF', 'CCDD', 'AABB']);
  });
  it.each([
    { pins: ['aa:bb'], want: true },
    { pins: ['CCDD'], want: true },
    { pins: ['11:22', 'ee:ff'], want: true },
    { pins: ['11:22'], want: false },
    { pins: [], want: false },
  ])('pins $pins → $want', ({ pins, want }) => {
    expect(chainMatchesPins(chainFingerprints(leaf), pins)).toBe(want);
  });
  it('normalizes fingerprints', () => {
    expect(normalizeFingerprint('ab:cd:0f')).toBe('ABCD0F');
  });
});
