import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { bounded } from '../../../lib/args.js';
import type { Family } from '../../net/resolve.js';
import type { Outcome, ProbeType } from './probes.js';
import { dualStackRatio } from './stats.js';

const ms = (s: number | null | undefined) => (s === null || s === undefined ? '-' : `${(s * 1000).toFixed(2)} ms`);

export function describeOutcome(o: Outcome): string {
  const head = `${o.type} ${o.target} over IPv${o.ip}${o.address ? ` (${o.address})` : ''}: ${o.success ? 'OK' : `FAILED (${o.reason}${o.error ? `: ${o.error}` : ''})`} in ${ms(o.durationSeconds)}`;
  const lines = [head];
  if (o.icmp) {
    const i = o.icmp;
    lines.push(
      `  ${i.sent} sent, ${i.received} received, loss ${(i.loss * 100).toFixed(1)}%, rtt min/avg/max ${ms(i.min)}/${ms(i.avg)}/${ms(i.max)}, jitter ${ms(i.jitter)}`,
    );
  }
  if (o.dns) lines.push(`  ${o.dns.answers} answer(s) in ${ms(o.dns.lookupSeconds)}`);
  if (o.http) {
    const h = o.http;
    const p = h.phases;
    lines.push(
      `  HTTP ${h.status}${h.redirects ? ` after ${h.redirects} redirect(s) to ${h.url}` : ''}, ${h.bodyBytes} bytes${h.truncated ? ' (cut)' : ''}${h.tlsVersion ? `, ${h.tlsVersion}` : ''}; resolve ${ms(p.resolve)}, connect ${ms(p.connect)}, tls ${ms(p.tls)}, first byte ${ms(p.processing)}, transfer ${ms(p.transfer)}`,
    );
    if (h.certExpiry !== null) lines.push(`  certificate chain expires ${new Date(h.certExpiry * 1000).toISOString()}`);
  }
  return lines.join('\n');
}

export function registerProbeCommand(program: Command): void {
  program
    .command('probe')
    .description('run one probe and print the result (icmp/tcp/dns/http over IPv6 and IPv4)')
    .argument('<type>', 'icmp, tcp, dns or http', (v) => {
      if (!['icmp', 'tcp', 'dns', 'http'].includes(v)) throw new InvalidArgumentError('expected icmp, tcp, dns or http');
      return v;
    })
    .argument('<target>', 'host (icmp, dns), host:port or [v6]:port (tcp), URL (http)')
    .option('--ip <family>', '4 or 6 (default: both, with the dual-stack comparison)', (v) => {
      if (v !== '4' && v !== '6') throw new InvalidArgumentError('expected 4 or 6');
      return Number(v) as Family;
    })
    .option('--count <n>', 'icmp: echo requests (1-1000)', (v) => bounded(v, 1, 1000, true), 5)
    .option('--timeout <seconds>', 'timeout of the probe (0-60 s, above 0)', (v) => bounded(v, 0, 60, false, true), 5)
    .option('--ca-file <pem>', 'http: verify the server with the CA(s) in this PEM file instead of the system store')
    .option('--resolver <host:port>', 'DNS server instead of the system resolver')
    .option('--insecure', 'http: do not verify the TLS certificate')
    .option('--json', 'print the outcome(s) as JSON')
    .action(
      async (
        type: ProbeType,
        target: string,
        opts: { ip?: Family; count: number; timeout: number; caFile?: string; resolver?: string; insecure?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const families: Family[] = opts.ip ? [opts.ip] : [6, 4];
        let ca: string | undefined;
        if (opts.caFile) {
          try {
            ca = readFileSync(opts.caFile, 'utf8');
          } catch (err) {
            cmd.error(`error: cannot read --ca-file: ${(err as Error).message}`);
          }
        }
        const o = { timeoutSeconds: opts.timeout, count: opts.count, packetIntervalSeconds: 0.2, resolver: opts.resolver, insecureTls: opts.insecure, ca };
        const { runProbe } = await import('./probes.js'); // loaded when a probe runs, not with every command
        const outcomes = await Promise.all(families.map((f) => runProbe(type, target, f, o)));
        const [v6, v4] = outcomes;
        const ratio =
          outcomes.length === 2 && v6!.success && v4!.success
            ? dualStackRatio(v6!.icmp?.avg ?? v6!.durationSeconds, v4!.icmp?.avg ?? v4!.durationSeconds)
            : null;
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify(outcomes.length === 2 ? { outcomes, dualStack: { bothSuccess: v6!.success && v4!.success, latencyRatio: ratio } } : { outcomes }, null, 2)}\n`,
          );
        } else {
          for (const x of outcomes) process.stdout.write(`${describeOutcome(x)}\n`);
          if (outcomes.length === 2)
            process.stdout.write(
              `dual stack: ${v6!.success && v4!.success ? 'both work' : 'NOT both'}${ratio !== null ? `, IPv6/IPv4 latency ratio ${ratio.toFixed(2)}` : ''}\n`,
            );
        }
        if (!outcomes.every((x) => x.success)) process.exitCode = 1;
      },
    );
}
