import { isIPv4, isIPv6 } from 'node:net';
import type { Sample } from '../../../contract/types.js';
import type { Outcome } from './probes.js';
import { dualStackRatio } from './stats.js';

/**
 * Series help. `probe_*` are blackbox_exporter's names with its meaning; `xunjian_probe_*` are ours
 * (multi-packet ICMP rounds, dual-stack comparison, failure reasons), which blackbox has no name for.
 */
export const PROBE_HELP: Record<string, string> = {
  probe_success: 'Whether the probe succeeded.',
  probe_duration_seconds: 'Duration of the probe.',
  probe_ip_protocol: 'IP protocol the probe used (4 or 6).',
  probe_ip_addr_hash: 'FNV-1a 32 hash of the address probed (its 4 or 16 bytes, as blackbox_exporter): changes when the target moves.',
  probe_dns_lookup_time_seconds: 'Time the name resolution (or, for dns probes, the DNS query) took.',
  probe_dns_answer_rrs: 'Answers of the DNS query.',
  probe_icmp_duration_seconds: 'Duration of each phase of the ICMP probe (resolve, setup, rtt = average RTT of the round).',
  probe_http_status_code: 'HTTP status code of the final response.',
  probe_http_duration_seconds: 'Duration of each phase of the HTTP request, summed over redirects.',
  probe_http_content_length: 'Content-Length header of the final response, -1 when absent.',
  probe_http_uncompressed_body_length: 'Body bytes read from the final response (at most the body cap).',
  probe_http_redirects: 'Redirects followed.',
  probe_http_ssl: 'Whether the final response came over TLS.',
  probe_http_version: 'HTTP version of the final response.',
  probe_tls_version_info: 'TLS version of the final response.',
  probe_ssl_earliest_cert_expiry: 'Earliest notAfter of the certificates the server presented (a self-signed root left out), seconds since epoch.',
  xunjian_probe_icmp_requests_total: 'Echo requests ping reported as transmitted.',
  xunjian_probe_icmp_responses_total: 'Echo replies received.',
  xunjian_probe_icmp_loss_ratio: 'Share of the echo requests of the last round without a reply.',
  xunjian_probe_icmp_rtt_seconds: 'Round-trip time of the last round (stat min, avg, max).',
  xunjian_probe_icmp_jitter_seconds: 'Mean absolute RTT difference of replies with consecutive sequence numbers in the last round.',
  xunjian_probe_failure_info: 'Why the probe failed (label reason); absent when it succeeded.',
  xunjian_probe_dualstack_latency_ratio: 'IPv6 latency divided by IPv4 latency of the same probe.',
  xunjian_probe_dualstack_both_success: 'Whether the probe succeeded over both IPv6 and IPv4.',
};

/** The bytes of an IP address: 4 for IPv4 (and IPv4-mapped IPv6, as Go's To4), else 16; null if not an address. */
export function ipBytes(address: string): number[] | null {
  if (isIPv4(address)) return address.split('.').map(Number);
  if (!isIPv6(address)) return null;
  let a = address.replace(/%.*$/, '');
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (quad) {
    const [x, y, z, w] = quad[1]!.split('.').map(Number) as [number, number, number, number];
    a = `${a.slice(0, -quad[1]!.length)}${((x << 8) | y).toString(16)}:${((z << 8) | w).toString(16)}`;
  }
  const [head, tail] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const bytes = groups.flatMap((g) => {
    const n = Number.parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

/** blackbox_exporter's probe_ip_addr_hash: FNV-1a 32 over the address bytes. */
export function ipAddrHash(address: string): number | null {
  const bytes = ipBytes(address);
  if (!bytes) return null;
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

/** Cumulative ICMP counters per (probe, ip) kept by the source between rounds. */
export type IcmpTotals = Map<string, { requests: number; responses: number }>;

export function outcomeSamples(name: string, o: Outcome, ts: number, totals?: IcmpTotals): Sample[] {
  const base = { probe: name, target: o.target, ip: String(o.ip) };
  const out: Sample[] = [];
  const g = (n: string, value: number, extra: Record<string, string> = {}) => out.push({ name: n, labels: { ...base, ...extra }, value, type: 'gauge', ts });
  g('probe_success', o.success ? 1 : 0);
  g('probe_duration_seconds', o.durationSeconds);
  g('probe_ip_protocol', o.ip);
  const hash = o.address ? ipAddrHash(o.address) : null;
  if (hash !== null) g('probe_ip_addr_hash', hash);
  if (o.lookupSeconds !== undefined) g('probe_dns_lookup_time_seconds', o.lookupSeconds);
  if (!o.success && o.reason) g('xunjian_probe_failure_info', 1, { reason: o.reason });
  if (o.icmp) {
    const key = `${name}/${o.ip}`;
    const t = totals?.get(key) ?? { requests: 0, responses: 0 };
    t.requests += o.icmp.sent;
    t.responses += o.icmp.received;
    totals?.set(key, t);
    g('probe_icmp_duration_seconds', o.lookupSeconds ?? 0, { phase: 'resolve' });
    g('probe_icmp_duration_seconds', o.icmp.setupSeconds, { phase: 'setup' });
    if (o.icmp.avg !== null) g('probe_icmp_duration_seconds', o.icmp.avg, { phase: 'rtt' });
    out.push({ name: 'xunjian_probe_icmp_requests_total', labels: base, value: t.requests, type: 'counter', ts });
    out.push({ name: 'xunjian_probe_icmp_responses_total', labels: base, value: t.responses, type: 'counter', ts });
    g('xunjian_probe_icmp_loss_ratio', o.icmp.loss);
    if (o.icmp.min !== null) {
      g('xunjian_probe_icmp_rtt_seconds', o.icmp.min, { stat: 'min' });
      g('xunjian_probe_icmp_rtt_seconds', o.icmp.avg!, { stat: 'avg' });
      g('xunjian_probe_icmp_rtt_seconds', o.icmp.max!, { stat: 'max' });
    }
    if (o.icmp.jitter !== null) g('xunjian_probe_icmp_jitter_seconds', o.icmp.jitter);
  }
  if (o.dns) g('probe_dns_answer_rrs', o.dns.answers);
  if (o.http) {
    const h = o.http;
    g('probe_http_status_code', h.status);
    for (const [phase, v] of Object.entries(h.phases)) g('probe_http_duration_seconds', v, { phase });
    g('probe_http_content_length', h.contentLength);
    g('probe_http_uncompressed_body_length', h.bodyBytes);
    g('probe_http_redirects', h.redirects);
    g('probe_http_ssl', h.tls ? 1 : 0);
    g('probe_http_version', Number(h.httpVersion));
    if (h.tlsVersion) g('probe_tls_version_info', 1, { version: h.tlsVersion });
    if (h.certExpiry !== null) g('probe_ssl_earliest_cert_expiry', h.certExpiry);
  }
  return out;
}

/** The latency a dual-stack comparison uses: ICMP average RTT, else the probe duration. */
function latency(o: Outcome): number | null {
  if (!o.success) return null;
  return o.icmp?.avg ?? o.durationSeconds;
}

export function dualStackSamples(name: string, target: string, v6: Outcome, v4: Outcome, ts: number): Sample[] {
  const labels = { probe: name, target };
  const out: Sample[] = [{ name: 'xunjian_probe_dualstack_both_success', labels, value: v6.success && v4.success ? 1 : 0, type: 'gauge', ts }];
  const r = dualStackRatio(latency(v6), latency(v4));
  if (r !== null) out.push({ name: 'xunjian_probe_dualstack_latency_ratio', labels, value: r, type: 'gauge', ts });
  return out;
}
