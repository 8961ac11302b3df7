import { readFileSync } from 'node:fs';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/proc.js';

/** No Docker engine runs here: lint the Dockerfile and check the properties we promise. */
const text = readFileSync(`${ROOT}Dockerfile`, 'utf8');
const instructions = text
  .replace(/\\\n/g, ' ')
  .split('\n')
  .filter((l) => l.trim() && !l.trim().startsWith('#'));

describe('Dockerfile', () => {
  it('passes the dockerfile-utils linter', async () => {
    const problems = await validate(text);
    expect(problems.map((p) => `${p.range.start.line + 1}: ${p.message}`)).toEqual([]);
  });

  it('is multi-stage, runs as a non-root user, collector by default', () => {
    const froms = instructions.filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBe(2);
    expect(froms[0]).toMatch(/^FROM node:20-\S+ AS build$/);
    const last = instructions.slice(instructions.lastIndexOf(froms[1]!));
    const user = last.filter((l) => l.startsWith('USER '));
    expect(user).toEqual(['USER 10001:10001']);
    expect(last.at(-1)).toBe('CMD ["collector"]');
    expect(last).toContain('ENTRYPOINT ["node", "/app/bin/xunjian.js"]');
  });

  it('copies every top-level source folder the build compiles', () => {
    const tsconfig = JSON.parse(readFileSync(`${ROOT}tsconfig.json`, 'utf8')) as { include: string[] };
    for (const dir of tsconfig.include) expect(instructions).toContain(`COPY ${dir} ./${dir}`);
  });
});
