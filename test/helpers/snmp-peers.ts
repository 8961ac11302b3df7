import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';

/**
 * Real SNMP peers for tests: Debian's snmpd and snmpsimd on loopback (IPv4 and IPv6), random ports.
 * They are told their port beforehand (free on both families a moment ago); one that exits before it
 * answers (another process took the port meanwhile) is started again on another port. The relay is
 * ours: it binds port 0 and reads the port back.
 */
export interface Peer {
  port: number;
  stop(): Promise<void>;
}

/** A UDP port free on 127.0.0.1 and [::1] a moment ago (bound on both, closed again). */
async function freeUdpPort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    const ok = await Promise.all(
      (['udp4', 'udp6'] as const).map(
        (type) =>
          new Promise<boolean>((resolve) => {
            const s = createSocket(type);
            s.once('error', () => resolve(false));
            s.bind(port, type === 'udp4' ? '127.0.0.1' : '::1', () => s.close(() => resolve(true)));
          }),
      ),
    );
    if (ok.every(Boolean)) return port;
  }
}

function stopper(p: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (p.exitCode !== null || p.signalCode !== null) return resolve();
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
      setTimeout(() => p.kill('SIGKILL'), 3000).unref();
    });
}

class PeerExited extends Error {}

/** Wait until `snmpget` answers (the peer is up), or fail with its output; at once when it exited. */
function waitUp(p: ChildProcess, args: string[], out: () => string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (p.exitCode !== null || p.signalCode !== null) return reject(new PeerExited(`SNMP peer exited before it answered: ${out()}`));
      try {
        execFileSync('snmpget', ['-t', '1', '-r', '0', ...args, '1.3.6.1.2.1.1.2.0'], { stdio: 'ignore' });
        resolve();
      } catch {
        if (Date.now() > end) reject(new Error(`SNMP peer did not come up: ${out()}`));
        else setTimeout(tick, 300);
      }
    };
    tick();
  });
}

/** Start a peer on a port chosen beforehand; on another port when it exits before answering (port taken meanwhile). */
async function onFreeUdpPort(start: (port: number) => Promise<Peer>, tries = 5): Promise<Peer> {
  for (let i = 1; ; i++) {
    try {
      return await start(await freeUdpPort());
    } catch (err) {
      if (!(err instanceof PeerExited) || i >= tries) throw err;
    }
  }
}

export const V3 = { user: 'xjv3', authKey: 'authpass-123', privKey: 'privpass-123' };
/** More v3 users of startSnmpd: SHA-256/AES-256 (Blumenthal) authPriv, SHA-512 authNoPriv, MD5 authNoPriv, noAuthNoPriv. */
export const V3_USERS = {
  sha256aes256: { user: 'xj256', authKey: 'authpass-256', privKey: 'privpass-256' },
  sha512auth: { user: 'xjauth', authKey: 'authpass-512' },
  md5auth: { user: 'xjmd5', authKey: 'authpass-md5' },
  none: { user: 'xjnone' },
};
export const COMMUNITY = 'xjtest';

/** snmpd with a v2c community and a v3 authPriv user (SHA/AES), on 127.0.0.1 and [::1]. */
export async function startSnmpd(): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), 'xj-snmpd-'));
  mkdirSync(join(dir, 'persist'));
  writeFileSync(
    join(dir, 'snmpd.conf'),
    [
      `rocommunity ${COMMUNITY} 127.0.0.1`,
      `rocommunity6 ${COMMUNITY} ::1`,
      `createUser ${V3.user} SHA "${V3.authKey}" AES "${V3.privKey}"`,
      `rouser ${V3.user} priv`,
      `createUser ${V3_USERS.sha256aes256.user} SHA-256 "${V3_USERS.sha256aes256.authKey}" AES-256 "${V3_USERS.sha256aes256.privKey}"`,
      `rouser ${V3_USERS.sha256aes256.user} priv`,
      `createUser ${V3_USERS.sha512auth.user} SHA-512 "${V3_USERS.sha512auth.authKey}"`,
      `rouser ${V3_USERS.sha512auth.user} auth`,
      `createUser ${V3_USERS.md5auth.user} MD5 "${V3_USERS.md5auth.authKey}"`,
      `rouser ${V3_USERS.md5auth.user} auth`,
      `createUser ${V3_USERS.none.user}`,
      `rouser ${V3_USERS.none.user} noauth`,
      'sysName xunjian-test',
      '',
    ].join('\n'),
  );
  return onFreeUdpPort(async (port) => {
    const p = spawn(
      'snmpd',
      [
        '-f',
        '-Lf',
        join(dir, 'log'),
        '-C',
        '-c',
        join(dir, 'snmpd.conf'),
        '-p',
        join(dir, 'pid'),
        '-M',
        '/dev/null',
        `udp:127.0.0.1:${port}`,
        `udp6:[::1]:${port}`,
      ],
      {
        env: { ...process.env, SNMP_PERSISTENT_DIR: join(dir, 'persist') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    p.stdout!.on('data', (d) => (out += d));
    p.stderr!.on('data', (d) => (out += d));
    p.once('error', (e) => (out += `spawn snmpd: ${e.message}`));
    const log = () => {
      try {
        return `${out}${readFileSync(join(dir, 'log'), 'utf8')}`;
      } catch {
        return out;
      }
    };
    await waitUp(p, ['-v2c', '-c', COMMUNITY, `127.0.0.1:${port}`], log, 15_000).catch(async (err) => {
      await stopper(p)();
      throw err;
    });
    return { port, stop: stopper(p) };
  });
}

/**
 * snmpsimd serving recordings: each `<community>.snmprec` answers to that community; `maxVarbinds`
 * bounds the varbinds of a response and of a request (`--max-varbinds`). It drops
 * privileges to nobody when started as root, so its folders are made readable/writable for it.
 */
export async function startSnmpsim(recordings: Record<string, string>, o: { maxVarbinds?: number } = {}): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), 'xj-snmpsim-'));
  const data = join(dir, 'data');
  const cache = join(dir, 'cache');
  mkdirSync(data);
  mkdirSync(cache);
  for (const [community, file] of Object.entries(recordings)) copyFileSync(file, join(data, `${community}.snmprec`));
  for (const d of [dir, data, cache]) chmodSync(d, 0o777);
  for (const f of readdirSync(data)) chmodSync(join(data, f), 0o644);
  const root = process.getuid?.() === 0;
  return onFreeUdpPort(async (port) => {
    const p = spawn(
      'snmpsimd',
      [
        `--data-dir=${data}`,
        `--cache-dir=${cache}`,
        '--logging-method=null',
        // varbinds per response (default 64; a request with more varbinds is answered genErr)
        ...(o.maxVarbinds ? [`--max-varbinds=${o.maxVarbinds}`] : []),
        `--agent-udpv4-endpoint=127.0.0.1:${port}`,
        `--agent-udpv6-endpoint=[::1]:${port}`,
        ...(root ? ['--process-user=nobody', '--process-group=nogroup'] : []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    p.stdout!.on('data', (d) => (out += d));
    p.stderr!.on('data', (d) => (out += d));
    p.once('error', (e) => (out += `spawn snmpsimd: ${e.message}`));
    await waitUp(p, ['-v2c', '-c', Object.keys(recordings)[0]!, `127.0.0.1:${port}`], () => out.slice(-2000), 60_000).catch(async (err) => {
      await stopper(p)();
      throw err;
    });
    return { port, stop: stopper(p) };
  });
}

/**
 * A UDP relay in front of a peer on 127.0.0.1: drops the first `dropFirst` requests and delays each
 * forwarded request by `delayMs` (a lossy or slow-but-alive device). `received` counts requests.
 */
export async function startRelay(peerPort: number, o: { dropFirst?: number; delayMs?: number } = {}): Promise<Peer & { received: () => number }> {
  const front = createSocket('udp4');
  let received = 0;
  let stopped = false;
  const clients = new Map<string, ReturnType<typeof createSocket>>();
  front.on('message', (msg, rinfo) => {
    received++;
    if (received <= (o.dropFirst ?? 0)) return;
    const key = `${rinfo.address}:${rinfo.port}`;
    let back = clients.get(key);
    if (!back) {
      back = createSocket('udp4');
      back.on('message', (reply) => {
        if (!stopped) front.send(reply, rinfo.port, rinfo.address);
      });
      back.on('error', () => undefined);
      clients.set(key, back);
    }
    const b = back;
    const send = () => {
      if (!stopped) b.send(msg, peerPort, '127.0.0.1');
    };
    if (o.delayMs) setTimeout(send, o.delayMs);
    else send();
  });
  await new Promise<void>((resolve) => front.bind(0, '127.0.0.1', () => resolve()));
  return {
    port: front.address().port,
    received: () => received,
    stop: async () => {
      stopped = true;
      for (const c of clients.values()) c.close();
      await new Promise<void>((resolve) => front.close(() => resolve()));
    },
  };
}
