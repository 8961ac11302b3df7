import { execFile, execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeIcmp } from '../../agent/sources/probes/probes.js';

/**
 * ICMP loss measured across a real link: two network namespaces made here, joined by a veth pair;
 * nftables in the far namespace drops a random 30% of echo requests. Needs root, iproute2 and
 * nftables (scripts/install-test-deps.sh); it fails, never skips, when it cannot set up.
 */
const tag = `${process.pid % 100000}`;
const A = `xjprobeA${tag}`;
const B = `xjprobeB${tag}`;
const sh = (...argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const inNs = (ns: string, ...argv: string[]) => sh('ip', 'netns', 'exec', ns, ...argv);

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (ip netns, nft); CI runs as root');
  sh('ip', 'netns', 'add', A);
  sh('ip', 'netns', 'add', B);
  sh('ip', 'link', 'add', `xa${tag}`, 'netns', A, 'type', 'veth', 'peer', 'name', `xb${tag}`, 'netns', B);
  inNs(A, 'ip', 'addr', 'add', '10.203.0.1/30', 'dev', `xa${tag}`);
  inNs(B, 'ip', 'addr', 'add', '10.203.0.2/30', 'dev', `xb${tag}`);
  inNs(A, 'ip', '-6', 'addr', 'add', 'fd00:203::1/64', 'dev', `xa${tag}`, 'nodad');
  inNs(B, 'ip', '-6', 'addr', 'add', 'fd00:203::2/64', 'dev', `xb${tag}`, 'nodad');
  for (const [ns, dev] of [
    [A, `xa${tag}`],
    [B, `xb${tag}`],
  ] as const) {
    inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
    inNs(ns, 'ip', 'link', 'set', dev, 'up');
  }
  inNs(
    B,
    'nft',
    [
      'add table inet xjloss',
      'add chain inet xjloss input { type filter hook input priority 0; policy accept; }',
      'add rule inet xjloss input icmp type echo-request numgen random mod 100 < 30 counter drop',
      'add rule inet xjloss input icmpv6 type echo-request numgen random mod 100 < 30 counter drop',
    ].join('; '),
  );
}, 30_000);

afterAll(() => {
  for (const ns of [A, B]) {
    try {
      sh('ip', 'netns', 'del', ns);
    } catch {
      // not created
    }
  }
});

/** Run ping inside namespace A: the probe's own argv, wrapped in `ip netns exec`. */
const inA = (argv: string[], timeoutMs: number) =>
  new Promise<{ stdout: string; stderr: string; code: number; killed: boolean }>((resolve) => {
    execFile('ip', ['netns', 'exec', A, ...argv], { timeout: timeoutMs, killSignal: 'SIGKILL', env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) =>
      resolve({ stdout, stderr, code: err ? (typeof err.code === 'number' ? err.code : 2) : 0, killed: err?.killed === true }),
    );
  });

describe('icmp loss over a lossy link (network namespaces + nftables)', () => {
  const n = 200;
  // Two-sided 99.9% bounds on the losses of Binomial(200, 0.3), worked out with exact rational
  // arithmetic (stats.test.ts checks binomialBounds gives the same): P(X ≤ 38) = 0.000281 and
  // P(X ≥ 83) = 0.000361, each ≤ 0.0005.
  const low = 39;
  const high = 82;

  it.each([
    [4, '10.203.0.2'],
    [6, 'fd00:203::2'],
  ] as const)(
    'IPv%i to %s: measured loss within the 99.9 percent binomial bounds of a 30 percent drop',
    async (ip, target) => {
      const r = await probeIcmp(target, ip, { timeoutSeconds: 1, count: n, packetIntervalSeconds: 0.01, exec: inA });
      expect(r.error).toBeUndefined();
      const lost = r.icmp!.sent - r.icmp!.received;
      expect(r.icmp!.sent).toBe(n);
      expect(r.icmp!.loss).toBe(lost / n);
      expect(lost).toBeGreaterThanOrEqual(low);
      expect(lost).toBeLessThanOrEqual(high);
      // The drops are the firewall's: its counter saw exactly the requests that got no reply.
      const rules = inNs(B, 'nft', 'list', 'chain', 'inet', 'xjloss', 'input');
      const family = ip === 4 ? 'icmp type' : 'icmpv6 type';
      const m = new RegExp(`${family} echo-request .*counter packets (\\d+)`).exec(rules);
      expect(Number(m?.[1])).toBe(lost);
    },
    30_000,
  );
});
