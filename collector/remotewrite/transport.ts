import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { VERSION } from '../../lib/version.js';
import type { RemoteWriteEndpointConfig } from './config.js';

/** One POST of a compressed WriteRequest; the I/O edge of an endpoint queue. */
export interface Transport {
  post(body: Uint8Array, signal: AbortSignal): Promise<{ status: number; retryAfter?: string; text: string }>;
  close(): Promise<void>;
}

export const USER_AGENT = `xunjian-collector/${VERSION}`;

function readSecretFile(file: string, key: string): string {
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new Error(`${key}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

function readPem(file: string, key: string): Buffer | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`${key}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/** The Authorization header value of an endpoint, or undefined. Token files are read at each call. */
export function authorization(c: RemoteWriteEndpointConfig, key: string): string | undefined {
  if (c.basicAuth.username) {
    const pass = c.basicAuth.passwordFile ? readSecretFile(c.basicAuth.passwordFile, `${key}.basicAuth.passwordFile`) : c.basicAuth.password;
    return `Basic ${Buffer.from(`${c.basicAuth.username}:${pass}`).toString('base64')}`;
  }
  const token = c.bearerTokenFile ? readSecretFile(c.bearerTokenFile, `${key}.bearerTokenFile`).trim() : c.bearerToken;
  return token ? `Bearer ${token}` : undefined;
}

/** The request headers: extra headers first, the protocol's own last (they cannot be overridden). */
export function requestHeaders(c: RemoteWriteEndpointConfig, key: string): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.headers)) h[k.toLowerCase()] = v;
  const auth = authorization(c, key);
  if (auth) h.authorization = auth;
  h['content-encoding'] = 'snappy';
  h['content-type'] = 'application/x-protobuf';
  h['x-prometheus-remote-write-version'] = '0.1.0';
  h['user-agent'] = USER_AGENT;
  return h;
}

/** HTTP(S) transport with the endpoint's TLS settings (CA, client certificate, server name). */
export function httpTransport(c: RemoteWriteEndpointConfig, key: string): Transport {
  const timeout = Math.round(c.timeoutSeconds * 1000);
  const dispatcher = new Agent({
    headersTimeout: timeout,
    bodyTimeout: timeout,
    connect: {
      timeout,
      ca: readPem(c.tls.caFile, `${key}.tls.caFile`),
      cert: readPem(c.tls.certFile, `${key}.tls.certFile`),
      key: readPem(c.tls.keyFile, `${key}.tls.keyFile`),
      servername: c.tls.serverName || undefined,
      rejectUnauthorized: !c.tls.insecureSkipVerify,
    },
  });
  return {
    async post(body, signal) {
      const res = await request(c.url, { method: 'POST', body, headers: requestHeaders(c, key), dispatcher, signal });
      let text = '';
      for await (const chunk of res.body) if (text.length < 512) text += chunk.toString();
      const ra = res.headers['retry-after'];
      return { status: res.statusCode, retryAfter: Array.isArray(ra) ? ra[0] : ra, text: text.slice(0, 512) };
    },
    close: () => dispatcher.close(),
  };
}
