import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lib/config.js';
import { loadCollectorConfig } from '../cli.js';
import { type CollectorConfig, collectorConfigSpec } from '../config.js';
import { DEFAULT_QUEUE } from './config.js';
import { tmpDir } from './testctx.js';

function load(yaml: string): CollectorConfig {
  const f = join(tmpDir('xj-rwcfg-'), 'collector.yaml');
  writeFileSync(f, yaml);
  return loadConfig<CollectorConfig>(collectorConfigSpec, f, {});
}

function error(yaml: string): string {
  try {
    load(yaml);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('no error');
}

describe('remoteWrite and seriesLimit config sections', () => {
  it('fills every default of an endpoint and of the series limit', () => {
    const c = load('remoteWrite:\n  - name: prom\n    url: http://127.0.0.1:9090/api/v1/write\n    queue: { maxShards: 2 }\n');
    expect(c.remoteWrite).toEqual([
      {
        name: 'prom',
        url: 'http://127.0.0.1:9090/api/v1/write',
        timeoutSeconds: 30,
        basicAuth: { username: '', password: '', passwordFile: '' },
        bearerToken: '',
        bearerTokenFile: '',
        headers: {},
        tls: { caFile: '', certFile: '', keyFile: '', serverName: '', insecureSkipVerify: false },
        queue: { ...DEFAULT_QUEUE, maxShards: 2 },
      },
    ]);
    expect(c.seriesLimit).toEqual({ perNode: 0, overrides: {}, idleSeconds: 900 });
    expect(load('').remoteWrite).toEqual([]);
    expect(DEFAULT_QUEUE).toMatchObject({ minShards: 1, maxShards: 16, maxBacklogBytes: 1024 ** 3, capacity: 10000 });
  });

  it.each([
    ['remoteWrite:\n  - name: prom\n', 'remoteWrite.0'],
    ['remoteWrite:\n  - name: prom\n    url: ftp://x/\n', 'remoteWrite.0.url'],
    ['remoteWrite:\n  - name: "bad name"\n    url: http://x/\n', 'remoteWrite.0.name'],
    ['remoteWrite:\n  - name: p\n    url: http://x/\n    queue: { minShards: 0 }\n', 'remoteWrite.0.queue.minShards'],
    ['remoteWrite:\n  - name: p\n    url: http://x/\n    queue: { maxShards: 500 }\n', 'remoteWrite.0.queue.maxShards'],
    ['remoteWrite:\n  - name: p\n    url: http://x/\n    queue: { maxBacklogBytes: -1 }\n', 'remoteWrite.0.queue.maxBacklogBytes'],
    ['seriesLimit: { perNode: -1 }\n', 'seriesLimit.perNode'],
  ])('%j is refused naming %s', (yaml, key) => {
    expect(error(yaml)).toContain(key);
  });

  it('never prints a secret value in an error', () => {
    const msg = error('remoteWrite:\n  - name: p\n    url: http://x/\n    bearerToken: 12345\n');
    expect(msg).toContain('remoteWrite.0.bearerToken');
    expect(msg).not.toContain('12345');
  });

  it.each([
    ['queue: { minShards: 4, maxShards: 2 }', 'remoteWrite.0.queue.minShards: must not exceed maxShards (2)'],
    ['tls: { certFile: /c.pem }', 'remoteWrite.0.tls: certFile and keyFile go together (mutual TLS)'],
    ['bearerToken: s3cret\n    bearerTokenFile: /t', 'remoteWrite.0: set bearerToken or bearerTokenFile, not both'],
  ])('the cross-field check of %s is refused at load, naming the file and key', (extra, expected) => {
    const f = join(tmpDir('xj-rwcfg-'), 'collector.yaml');
    writeFileSync(f, `remoteWrite:\n  - name: p\n    url: http://x/\n    ${extra}\n`);
    let msg = '';
    try {
      loadCollectorConfig(f, {});
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      msg = (err as Error).message;
    }
    expect(msg).toBe(`config error in ${f}: ${expected}`);
    expect(msg).not.toContain('s3cret');
  });
});
