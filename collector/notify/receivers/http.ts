import { VERSION } from '../../../lib/version.js';
import { DeliveryError } from './types.js';

export interface HttpResult {
  status: number;
  text: string;
  /** The body parsed as JSON, when it is. */
  json?: Record<string, unknown>;
}

/**
 * POST a JSON body. Network errors, timeouts, 429 and 5xx throw a retryable DeliveryError; other
 * statuses are returned for the receiver to judge. Messages never hold the URL (robot URLs carry
 * their key or token).
 */
export async function postJson(
  url: string,
  body: unknown,
  o: { timeoutMs: number; signal: AbortSignal; headers?: Record<string, string>; what: string },
): Promise<HttpResult> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': `Xunjian/${VERSION}`, ...o.headers },
      body: JSON.stringify(body),
      signal: AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs)]),
      redirect: 'error',
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `timed out after ${o.timeoutMs} ms` : e.name === 'AbortError' ? 'aborted' : (e.cause?.code ?? e.message);
    throw new DeliveryError(`${o.what}: ${why}`, true);
  }
  const text = await res.text().catch(() => '');
  if (res.status === 429 || res.status >= 500) throw new DeliveryError(`${o.what}: HTTP ${res.status}`, true);
  let json: Record<string, unknown> | undefined;
  try {
    const v = JSON.parse(text);
    if (v && typeof v === 'object') json = v;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

/** A 2xx, or a permanent DeliveryError naming the status and the start of the body. */
export function expect2xx(r: HttpResult, what: string): void {
  if (r.status < 200 || r.status > 299) throw new DeliveryError(`${what}: HTTP ${r.status}: ${r.text.slice(0, 200)}`, false);
}
