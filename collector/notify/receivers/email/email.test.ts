import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenOn } from '../../../../test/helpers/net.js';
import { type HostConfig, sections } from '../../../alerts/component.js';
import { buildReceivers } from '../../notifier.js';
import type { Notification } from '../types.js';

/** A local SMTP sink (smtp-server) with STARTTLS on a throwaway certificate; mailparser reads what arrived. */
let dir: string;
let port: number;
let server: SMTPServer;
const mails: { mail: ParsedMail; secure: boolean; user?: string; raw: string }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'xj-smtp-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      'key.pem',
      '-out',
      'cert.pem',
    ],
    {
      cwd: dir,
      stdio: 'ignore',
    },
  );
  writeFileSync(join(dir, 'password'), 'smtp-pass-1\n');
  server = new SMTPServer({
    key: readFileSync(join(dir, 'key.pem')),
    cert: readFileSync(join(dir, 'cert.pem')),
    authOptional: false,
    // like a submission server: no AUTH before STARTTLS
    allowInsecureAuth: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'alerts' && auth.password === 'smtp-pass-1') return cb(null, { user: 'alerts' });
      cb(new Error('535 authentication failed'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks).toString('latin1');
        mails.push({ mail: await simpleParser(Buffer.concat(chunks)), secure: session.secure, user: session.user as string | undefined, raw });
        cb();
      });
    },
    logger: false,
  });
  server.on('error', () => {});
  port = await listenOn(server.server, '127.0.0.1');
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const note: Notification = {
  receiver: 'mail',
  groupKey: 'g',
  groupLabels: { alertname: 'HostDown', site: '城区中心' },
  status: 'firing',
  createdAt: Date.UTC(2026, 11, 3, 7, 0, 0),
  alerts: [
    {
      fingerprint: '00000000000000aa',
      status: 'firing',
      labels: { alertname: 'HostDown', severity: 'critical', node: '乡镇-01', site: '城区中心' },
      annotations: { summary: '主机失联', runbook_url: 'https://wiki.example/hostdown' },
      startsAt: Date.UTC(2026, 11, 3, 7, 0, 0),
      endsAt: 0,
      generatorURL: '',
    },
  ],
};

function email(over: Record<string, unknown> = {}) {
  const { notify } = sections({
    notify: {
      receivers: [
        {
          name: 'mail',
          type: 'email',
          from: 'xunjian@example.gov.cn',
          to: ['noc@example.gov.cn'],
          smtp: { host: '127.0.0.1', port, user: 'alerts', passwordFile: join(dir, 'password'), caFile: join(dir, 'cert.pem') },
          ...over,
        },
      ],
    },
  } as unknown as HostConfig);
  return buildReceivers(notify).get('mail')!;
}

describe('email receiver (SMTP, STARTTLS)', () => {
  it('delivers a UTF-8 Chinese subject and body over STARTTLS with authentication', async () => {
    const r = email();
    await r.send(note, { id: 9, now: Date.UTC(2026, 11, 3, 7, 5, 0), signal: new AbortController().signal });
    await r.close?.();
    expect(mails).toHaveLength(1);
    const m = mails[0]!;
    expect(m.secure).toBe(true); // upgraded with STARTTLS before MAIL FROM
    expect(m.user).toBe('alerts');
    expect(m.mail.subject).toBe('[告警 1 条] HostDown · 城区中心');
    expect(m.raw).toMatch(/^Subject: =\?UTF-8\?/m); // RFC 2047 encoded word
    expect(m.mail.text).toContain('🔴 1. 主机失联 (严重 critical)');
    expect(m.mail.text).toContain('位置: 节点 乡镇-01 · 站点 城区中心');
    expect(m.mail.text).toContain('开始: 2026-12-03 15:00:00 GMT+8 (持续 5m)');
    expect(m.mail.text).toContain('运行手册: https://wiki.example/hostdown');
    expect(m.mail.html).toContain('主机失联');
    expect(m.mail.headers.get('x-xunjian-notification-id')).toBe('9');
    expect(m.mail.to && !Array.isArray(m.mail.to) ? m.mail.to.text : '').toBe('noc@example.gov.cn');
  });

  it('a wrong password is given up (not retried); a server that is not there is retried', async () => {
    writeFileSync(join(dir, 'password'), 'wrong\n');
    const r = email();
    const err = await r.send(note, { id: 10, now: Date.now(), signal: new AbortController().signal }).catch((e) => e);
    await r.close?.();
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('EAUTH');
    expect(err.message).not.toContain('wrong');
    writeFileSync(join(dir, 'password'), 'smtp-pass-1\n');
    const down = email({ smtp: { host: '127.0.0.1', port: 1, caFile: join(dir, 'cert.pem') } });
    const e2 = await down.send(note, { id: 11, now: Date.now(), signal: new AbortController().signal }).catch((e) => e);
    expect(e2.retryable).toBe(true);
  });

  it('refuses to send in clear text when the server offers no STARTTLS', async () => {
    const plain = new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      onData: (s, _x, cb) => s.on('end', () => cb()).resume(),
      logger: false,
    });
    plain.on('error', () => {});
    const p = await listenOn(plain.server, '127.0.0.1');
    const r = email({ smtp: { host: '127.0.0.1', port: p } });
    const err = await r.send(note, { id: 12, now: Date.now(), signal: new AbortController().signal }).catch((e) => e);
    await r.close?.();
    await new Promise<void>((res) => plain.close(() => res()));
    expect(err?.message ?? '').toMatch(/STARTTLS|TLS/i);
  });
});
