import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { sendResponse } from './router.js';
import type { ApiResponse } from './types.js';

/** sendResponse over a real loopback server: strings as text, Buffers byte for byte, the rest as JSON. */
async function roundTrip(r: ApiResponse) {
  const server = createServer((_req, res) => sendResponse(res, r));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  try {
    const res = await request(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return {
      status: res.statusCode,
      type: res.headers['content-type'],
      length: res.headers['content-length'],
      body: Buffer.from(await res.body.arrayBuffer()),
    };
  } finally {
    server.close();
  }
}

describe('sendResponse', () => {
  it('sends a Buffer body as is, with its content type and byte length', async () => {
    const bytes = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x2d, 0xff, 0x00, 0xe2, 0x82]); // not valid UTF-8
    const r = await roundTrip({ status: 200, body: bytes, contentType: 'application/pdf' });
    expect(r).toEqual({ status: 200, type: 'application/pdf', length: '9', body: bytes });
  });

  it('strings as text (byte length of UTF-8), objects as JSON', async () => {
    const t = await roundTrip({ status: 200, body: '等保', contentType: 'text/markdown; charset=utf-8' });
    expect([t.type, t.length, t.body.toString()]).toEqual(['text/markdown; charset=utf-8', '6', '等保']);
    const j = await roundTrip({ status: 201, body: { a: 1 } });
    expect([j.status, JSON.parse(j.body.toString())]).toEqual([201, { a: 1 }]);
  });
});
