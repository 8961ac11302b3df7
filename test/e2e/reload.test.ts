import { writeFileSync } from 'node:fs';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { collector, killAll, requireBuild } from '../delivery/helpers.js';
import { waitFor } from '../helpers/proc.js';

requireBuild();
afterAll(killAll);

describe('config reload (real process)', () => {
  it('SIGHUP and POST /api/v1/-/reload apply a valid config, refuse an invalid one naming file and key, keep the running one', async () => {
    const c = await collector({ metrics: { requireToken: true } });
    const admin = c.apiToken();
    await c.start();
    const metricsStatus = async () => {
      const r = await request(`${c.url}/metrics`);
      await r.body.dump();
      return r.statusCode;
    };
    expect(await metricsStatus()).toBe(401);
    const reload = async () => {
      const r = await request(`${c.url}/api/v1/-/reload`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
      return { status: r.statusCode, body: (await r.body.json()) as { error?: string; message?: string; status?: string } };
    };

    // invalid: refused with file and key; the running config stays
    writeFileSync(c.cfgFile, `listen: 127.0.0.1:${c.port}\ndataDir: ${c.dir}/data\nmetrics:\n  requireToken: maybe\n`);
    const bad = await reload();
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_config');
    expect(bad.body.message).toContain(c.cfgFile);
    expect(bad.body.message).toContain('metrics.requireToken');
    c.proc!.child.kill('SIGHUP');
    await waitFor(() => (c.proc!.log.match(/config reload refused/g) ?? []).length >= 2, 20_000, 'SIGHUP refusal logged');
    expect(c.proc!.alive).toBe(true);
    expect(await metricsStatus()).toBe(401);

    // valid: applied by SIGHUP
    writeFileSync(c.cfgFile, `listen: 127.0.0.1:${c.port}\ndataDir: ${c.dir}/data\nmetrics:\n  requireToken: false\n`);
    c.proc!.child.kill('SIGHUP');
    await waitFor(() => c.proc!.log.includes('config reloaded'), 20_000, 'SIGHUP reload applied');
    expect(await metricsStatus()).toBe(200);
    expect(await reload()).toEqual({ status: 200, body: { status: 'reloaded' } });

    const audit = await request(`${c.url}/api/v1/audit?action=config.reload`, { headers: { authorization: `Bearer ${admin}` } });
    const entries = ((await audit.body.json()) as { entries: { actor: string; outcome: string }[] }).entries;
    expect(entries.map((e) => [e.actor, e.outcome])).toEqual([
      ['test-admin', 'success'],
      ['signal:SIGHUP', 'success'],
      ['signal:SIGHUP', 'failure'],
      ['test-admin', 'failure'],
    ]);
    await c.stop();
  }, 60_000);
});
