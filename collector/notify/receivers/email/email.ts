import nodemailer from 'nodemailer';
import { renderBody, renderTitle } from '../../format.js';
import { DeliveryError, type ReceiverFactory } from '../types.js';

/**
 * Email over SMTP (nodemailer): STARTTLS required by default (`smtp.requireTLS`), or implicit TLS
 * (`smtp.tls`, port 465). Subject and body are UTF-8 (nodemailer encodes the subject as RFC 2047 words
 * and the body as quoted-printable or base64). SMTP 4xx answers and connection failures are retried,
 * 5xx answers and authentication failures are not.
 */
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export const emailReceiver: ReceiverFactory = (cfg, env) => {
  const smtp = cfg.smtp;
  if (!smtp) return env.fail('smtp', 'expected the SMTP server (smtp.host, …)');
  if (!cfg.from) env.fail('from', 'expected the From address');
  if (cfg.to.length === 0) env.fail('to', 'expected at least one recipient');
  const password = env.secret(smtp.password, smtp.passwordFile, 'smtp.password');
  const ca = smtp.caFile ? env.readFile(smtp.caFile, 'smtp.caFile') : undefined;
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.tls,
    requireTLS: smtp.requireTLS && !smtp.tls,
    auth: smtp.user ? { user: smtp.user, pass: password ?? '' } : undefined,
    tls: { ca, rejectUnauthorized: smtp.rejectUnauthorized, minVersion: 'TLSv1.2' },
    connectionTimeout: cfg.timeoutSeconds * 1000,
    greetingTimeout: cfg.timeoutSeconds * 1000,
    socketTimeout: cfg.timeoutSeconds * 1000,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return {
    name: cfg.name,
    type: 'email',
    rateLimitPerMinute: cfg.rateLimitPerMinute ?? 0,
    sendResolved: cfg.sendResolved,
    async send(n, ctx) {
      const o = { lang: cfg.lang, timezone: env.timezone, externalURL: env.externalURL, maxBytes: cfg.maxBytes ?? 0, now: ctx.now };
      const text = renderBody(n, { ...o, style: 'text' });
      try {
        await transport.sendMail({
          from: cfg.from,
          to: cfg.to,
          subject: renderTitle(n, cfg.lang),
          text,
          html: `<pre style="font-family:sans-serif;white-space:pre-wrap">${esc(text)}</pre>`,
          headers: { 'X-Xunjian-Notification-Id': String(ctx.id) },
        });
      } catch (err) {
        const e = err as Error & { responseCode?: number; code?: string };
        const permanent = (e.responseCode !== undefined && e.responseCode >= 500) || e.code === 'EAUTH' || e.code === 'EENVELOPE';
        throw new DeliveryError(
          `email ${cfg.name}: ${e.code ?? ''} ${e.responseCode ?? ''} ${e.message.split('\n')[0]!.slice(0, 160)}`.replace(/\s+/g, ' '),
          !permanent,
        );
      }
    },
    close() {
      transport.close();
    },
  };
};
