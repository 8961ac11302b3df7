import { execFile } from 'node:child_process';
import { type Server, createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer } from '../../../test/helpers/dns-server.js';
import { listenDual, refusedPort } from '../../../test/helpers/net.js';
import { BIN } from '../../../test/helpers/proc.js';

/** `xunjian probe` as users run it: the built binary, against servers and a DNS server on loopback. */
let dns: Awaited<ReturnType<typeof startDnsServer>>;
const servers: Server[] = [];
let port = 0;
let closedPort = 0;

beforeAll(async () => {
  dns = await startDnsServer({ 'dual.test': { a: ['127.0.0.1'], aaaa: ['::1'] }, 'v4only.test': { a: ['127.0.0.1'] } });
  const handler = (_q: unknown, res: import('node:http').ServerResponse) => res.end('ok');
  const s4 = createServer(handler);
  const s6 = createServer(handler);
  port = await listenDual(s4, s6);
  servers.push(s4, s6);
  closedPort = await refusedPort();
});
afterAll(async () => {
  for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  await dns.close();
});

const probe = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [BIN, 'probe', ...args], (err, stdout, stderr) => resolve({ code: err ? (err.code as number) : 0, stdout, stderr }));
  });

describe('xunjian probe', () => {
  it('--json over both families: both outcomes and the dual-stack comparison', async () => {
    const r = await probe(['http', `http://dual.test:${port}/`, '--resolver', dns.server, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(['outcomes', 'dualStack']);
    expect(j.outcomes.map((o: { ip: number; address: string; success: boolean }) => [o.ip, o.address, o.success])).toEqual([
      [6, '::1', true],
      [4, '127.0.0.1', true],
    ]);
    expect(j.outcomes[0].http).toMatchObject({ status: 200, bodyBytes: 2, contentLength: 2, redirects: 0 });
    expect(j.dualStack.bothSuccess).toBe(true);
    expect(j.dualStack.latencyRatio).toBeGreaterThan(0);
  });

  it('--ip 4 runs one family, without the comparison', async () => {
    const j = JSON.parse((await probe(['tcp', `dual.test:${port}`, '--ip', '4', '--resolver', dns.server, '--json'])).stdout);
    expect(Object.keys(j)).toEqual(['outcomes']);
    expect(j.outcomes).toHaveLength(1);
    expect(j.outcomes[0]).toMatchObject({ type: 'tcp', ip: 4, address: '127.0.0.1', success: true });
  });

  it('--count sets the echo requests', async () => {
    const j = JSON.parse((await probe(['icmp', '::1', '--ip', '6', '--count', '2', '--json'])).stdout);
    expect(j.outcomes[0].icmp).toMatchObject({ sent: 2, received: 2, loss: 0 });
  });

  it('exits 1 and says why when a probe fails', async () => {
    const r = await probe(['tcp', `[::1]:${closedPort}`, '--ip', '6']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`tcp [::1]:${closedPort} over IPv6 (::1): FAILED (connect_refused`);
    const both = await probe(['http', `http://v4only.test:${port}/`, '--resolver', dns.server]);
    expect(both.code).toBe(1);
    expect(both.stdout).toContain('FAILED (no_aaaa');
    expect(both.stdout).toContain('dual stack: NOT both');
  });

  it.each([
    [['--count', '0'], "option '--count <n>' argument '0' is invalid. expected a whole number from 1 up to 1000"],
    [['--count', '1.5'], "option '--count <n>' argument '1.5' is invalid. expected a whole number from 1 up to 1000"],
    [['--timeout', '0'], "option '--timeout <seconds>' argument '0' is invalid. expected a number above 0 up to 60"],
    [['--timeout', '-2'], "option '--timeout <seconds>' argument '-2' is invalid. expected a number above 0 up to 60"],
  ])('rejects %j', async (args, message) => {
    const r = await probe(['icmp', '::1', '--ip', '6', ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });
});
