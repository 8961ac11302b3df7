/** Pure statistics of multi-packet probes (smokeping-style rounds). Times in seconds. */

export interface RoundStats {
  sent: number;
  received: number;
  /** lost ÷ sent; 1 when nothing was sent. */
  loss: number;
  min: number | null;
  avg: number | null;
  max: number | null;
  /** RFC 3550-style jitter: mean absolute difference of consecutive RTTs (null below 2 replies). */
  jitter: number | null;
}

export function roundStats(sent: number, rtts: readonly number[]): RoundStats {
  const received = rtts.length;
  const loss = sent > 0 ? (sent - received) / sent : 1;
  if (received === 0) return { sent, received, loss, min: null, avg: null, max: null, jitter: null };
  let min = rtts[0]!;
  let max = rtts[0]!;
  let sum = 0;
  for (const r of rtts) {
    if (r < min) min = r;
    if (r > max) max = r;
    sum += r;
  }
  let jitter: number | null = null;
  if (received >= 2) {
    let d = 0;
    for (let i = 1; i < received; i++) d += Math.abs(rtts[i]! - rtts[i - 1]!);
    jitter = d / (received - 1);
  }
  return { sent, received, loss, min, avg: sum / received, max, jitter };
}

/** IPv6 ÷ IPv4 latency; null unless both succeeded with a positive IPv4 latency. */
export function dualStackRatio(v6: number | null, v4: number | null): number | null {
  if (v6 === null || v4 === null || v4 <= 0) return null;
  return v6 / v4;
}

/**
 * Two-sided bounds on the number of successes of Binomial(n, p) holding with probability ≥ 1 − alpha
 * (exact, from the cumulative distribution).
 */
export function binomialBounds(n: number, p: number, alpha: number): { low: number; high: number } {
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

/** Parse the reply lines of iputils `ping -n`: RTTs in seconds, in sequence order. */
export function parsePingReplies(output: string): { seq: number; rtt: number }[] {
  const out: { seq: number; rtt: number }[] = [];
  const seen = new Set<number>();
  for (const m of output.matchAll(/icmp_seq=(\d+)\s+ttl=\d+\s+time=([\d.]+)\s*ms/g)) {
    const seq = Number(m[1]);
    if (seen.has(seq)) continue; // DUP! replies count once
    seen.add(seq);
    out.push({ seq, rtt: Number(m[2]) / 1000 });
  }
  return out.sort((a, b) => a.seq - b.seq);
}
