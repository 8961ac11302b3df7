import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/proc.js';

/**
 * The image, built and run for real: scripts/build-image.sh (debootstrap + Node 20 base committed
 * with buildah, `buildah bud --isolation chroot`, then `buildah run`: the collector answers /healthz,
 * `xunjian agent --once` prints samples). Needs root, buildah and debootstrap: it fails, never skips,
 * without them (scripts/install-test-deps.sh installs them). The base rootfs is cached in
 * $XUNJIAN_IMAGE_CACHE (default /var/cache/xunjian-image); the first run takes minutes.
 */
const text = readFileSync(`${ROOT}Dockerfile`, 'utf8');

describe('container image', () => {
  it('the Dockerfile passes the dockerfile-utils linter and ships neither tests nor benchmarks', async () => {
    const problems = await validate(text);
    expect(problems.map((p) => `${p.range.start.line + 1}: ${p.message}`)).toEqual([]);
    expect(text).not.toMatch(/^COPY (test|bench)\b/m);
    expect(text).toMatch(/^USER 10001:10001$/m);
  });

  it('builds with buildah from a debootstrap base and runs: collector /healthz, agent --once', { timeout: 45 * 60_000 }, () => {
    expect(process.getuid?.(), 'buildah needs root here').toBe(0);
    const r = spawnSync('bash', [`${ROOT}scripts/build-image.sh`, '--tag', 'localhost/xunjian:test'], { cwd: ROOT, encoding: 'utf8', timeout: 44 * 60_000 });
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.error, out).toBeUndefined();
    expect(r.status, out).toBe(0);
    expect(out).toMatch(/collector in localhost\/xunjian:test answers \/healthz/);
    expect(out).toMatch(/agent --once in localhost\/xunjian:test printed [1-9]\d* samples/);
    expect(r.stdout).toContain('OK localhost/xunjian:test');
  });
});
