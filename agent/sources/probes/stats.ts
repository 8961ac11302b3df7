/** Pure statistics of multi-packet probes (smokeping-style rounds). Times in seconds. */

export interface Reply {
  seq: number;
  rtt: number;
}

export interface RoundStats {
  sent: number;
  received: number;
  /** lost ÷ sent; 1 when nothing was sent. */
  loss: number;
  min: number | null;
  avg: number | null;
  max: number | null;
  /**
   * Jitter: mean absolute difference of the RTTs of replies with consecutive sequence numbers
   * (RFC 3550's |D(i−1, i)| without its smoothing; a pair across a lost packet is skipped so a loss
   * does not pass for jitter). Null when no two consecutive sequence numbers both got replies.
   */
  jitter: number | null;
}

/** Stats of one round: `sent` requests, the distinct replies (any order). */
export function roundStats(sent: number, replies: readonly Reply[]): RoundStats {
  const r = [...replies].sort((a, b) => a.seq - b.seq);
  const received = r.length;
  const loss = sent > 0 ? Math.max(0, sent - received) / sent : 1;
  if (received === 0) return { sent, received, loss, min: null, avg: null, max: null, jitter: null };
  let min = r[0]!.rtt;
  let max = r[0]!.rtt;
  let sum = 0;
  for (const x of r) {
    if (x.rtt < min) min = x.rtt;
    if (x.rtt > max) max = x.rtt;
    sum += x.rtt;
  }
  let d = 0;
  let pairs = 0;
  for (let i = 1; i < received; i++) {
    if (r[i]!.seq !== r[i - 1]!.seq + 1) continue;
    d += Math.abs(r[i]!.rtt - r[i - 1]!.rtt);
    pairs++;
  }
  return { sent, received, loss, min, avg: sum / received, max, jitter: pairs ? d / pairs : null };
}

/** IPv6 ÷ IPv4 latency; null unless both succeeded with a positive IPv4 latency. */
export function dualStackRatio(v6: number | null, v4: number | null): number | null {
  if (v6 === null || v4 === null || v4 <= 0) return null;
  return v6 / v4;
}

/**
 * Two-sided bounds on the number of successes of Binomial(n, p) holding with probability ≥ 1 − alpha
 * (exact, from the cumulative distribution: each tail outside the bounds has mass ≤ alpha ÷ 2).
 */
export function binomialBounds(n: number, p: number, alpha: number): { low: number; high: number } {
  if (p <= 0) return { low: 0, high: 0 };
  if (p >= 1) return { low: n, high: n };
  const pmf: number[] = [];
  // log-space to stay exact enough for n in the hundreds
  const lf = (k: number) => {
    let s = 0;
    for (let i = 2; i <= k; i++) s += Math.log(i);
    return s;
  };
  for (let k = 0; k <= n; k++) pmf.push(Math.exp(lf(n) - lf(k) - lf(n - k) + k * Math.log(p) + (n - k) * Math.log(1 - p)));
  let low = 0;
  let acc = 0;
  while (low < n && acc + pmf[low]! <= alpha / 2) acc += pmf[low++]!;
  let high = n;
  acc = 0;
  while (high > 0 && acc + pmf[high]! <= alpha / 2) acc += pmf[high--]!;
  return { low, high };
}

/**
 * Reply lines of `ping -n`: iputils (`icmp_seq=1 ttl=64 time=0.27 ms`) and busybox (`seq=0 ttl=64`,
 * `hlim=64` for IPv6). Duplicates count once; sorted by sequence number.
 */
export function parsePingReplies(output: string): Reply[] {
  const out: Reply[] = [];
  const seen = new Set<number>();
  for (const m of output.matchAll(/\b(?:icmp_seq|seq)=(\d+)\s+(?:ttl|hlim)=\d+\s+time=([\d.]+)\s*ms/g)) {
    const seq = Number(m[1]);
    if (seen.has(seq)) continue; // DUP! replies count once
    seen.add(seq);
    out.push({ seq, rtt: Number(m[2]) / 1000 });
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/** The summary line: iputils `5 packets transmitted, 4 received`, busybox `5 packets transmitted, 4 packets received`. */
export function parsePingSummary(output: string): { transmitted: number; received: number } | null {
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(output);
  return m ? { transmitted: Number(m[1]), received: Number(m[2]) } : null;
}
