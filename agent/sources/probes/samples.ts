import type { Sample } from '../../../contract/types.js';
import type { Outcome } from './probes.js';
import { dualStackRatio } from './stats.js';

export const PROBE_HELP: Record<string, string> = {
  probe_success: 'Whether the probe succeeded.',
  probe_duration_seconds: 'Duration of the probe.',
  probe_ip_protocol: 'IP protocol the probe used (4 or 6).',
  probe_icmp_requests_total: 'Echo requests sent.',
  probe_icmp_responses_total: 'Echo replies received.',
  probe_icmp_loss_ratio: 'Share of echo requests of the last round without a reply.',
  probe_icmp_rtt_seconds: 'Round-trip time of the last round (min, avg, max).',
  probe_icmp_jitter_seconds: 'Mean absolute difference of consecutive round-trip times of the last round (RFC 3550 style).',
  probe_dns_lookup_time_seconds: 'Time of the DNS query.',
  probe_dns_answer_rrs: 'Answers of the DNS query.',
  probe_http_status_code: 'HTTP status code of the response.',
  probe_http_duration_seconds: 'Duration of each phase of the HTTP request.',
  probe_http_content_length: 'Length of the received body in bytes.',
  probe_http_ssl: 'Whether TLS was used.',
  probe_ssl_earliest_cert_expiry: 'Earliest expiry of the peer certificate chain, seconds since epoch.',
  probe_dualstack_latency_ratio: 'IPv6 duration divided by IPv4 duration of the same probe.',
  probe_dualstack_both_success: 'Whether the probe succeeded over both IPv6 and IPv4.',
};

/** Cumulative ICMP counters per (probe, ip) kept by the source between rounds. */
export type IcmpTotals = Map<string, { requests: number; responses: number }>;

export function outcomeSamples(name: string, o: Outcome, ts: number, totals?: IcmpTotals): Sample[] {
  const base = { probe: name, target: o.target, ip: String(o.ip) };
  const out: Sample[] = [];
  const g = (n: string, value: number, extra: Record<string, string> = {}) => out.push({ name: n, labels: { ...base, ...extra }, value, type: 'gauge', ts });
  g('probe_success', o.success ? 1 : 0);
  g('probe_duration_seconds', o.durationSeconds);
  g('probe_ip_protocol', o.ip);
  if (o.icmp) {
    const key = `${name}/${o.ip}`;
    const t = totals?.get(key) ?? { requests: 0, responses: 0 };
    t.requests += o.icmp.sent;
    t.responses += o.icmp.received;
    totals?.set(key, t);
    out.push({ name: 'probe_icmp_requests_total', labels: base, value: t.requests, type: 'counter', ts });
    out.push({ name: 'probe_icmp_responses_total', labels: base, value: t.responses, type: 'counter', ts });
    g('probe_icmp_loss_ratio', o.icmp.loss);
    if (o.icmp.min !== null) {
      g('probe_icmp_rtt_seconds', o.icmp.min, { stat: 'min' });
      g('probe_icmp_rtt_seconds', o.icmp.avg!, { stat: 'avg' });
      g('probe_icmp_rtt_seconds', o.icmp.max!, { stat: 'max' });
    }
    if (o.icmp.jitter !== null) g('probe_icmp_jitter_seconds', o.icmp.jitter);
  }
  if (o.dns) {
    g('probe_dns_lookup_time_seconds', o.dns.lookupSeconds);
    g('probe_dns_answer_rrs', o.dns.answers);
  }
  if (o.http) {
    g('probe_http_status_code', o.http.status);
    for (const [phase, v] of Object.entries(o.http.phases)) g('probe_http_duration_seconds', v, { phase });
    g('probe_http_content_length', o.http.bodyBytes);
    g('probe_http_ssl', o.http.tls ? 1 : 0);
    if (o.http.certExpiry !== null) g('probe_ssl_earliest_cert_expiry', o.http.certExpiry);
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
  const out: Sample[] = [{ name: 'probe_dualstack_both_success', labels, value: v6.success && v4.success ? 1 : 0, type: 'gauge', ts }];
  const r = dualStackRatio(latency(v6), latency(v4));
  if (r !== null) out.push({ name: 'probe_dualstack_latency_ratio', labels, value: r, type: 'gauge', ts });
  return out;
}
