import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/proc.js';

describe('shell scripts', () => {
  it.each(['.ci/run', 'scripts/install-test-deps.sh', 'scripts/build-image.sh'])('%s passes shellcheck', (file) => {
    const r = spawnSync('shellcheck', ['-x', file], { cwd: ROOT, encoding: 'utf8' });
    expect(r.error, 'shellcheck must be installed (scripts/install-test-deps.sh)').toBeUndefined();
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  });
});
