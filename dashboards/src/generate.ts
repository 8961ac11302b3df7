import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LANGS } from './common.js';
import { DASHBOARDS } from './dashboards.js';

/**
 * `npm run dashboards`: writes dashboards/generated/<lang>/<name>.json (English and Chinese), the
 * files Grafana's file provisioning loads. Run from the repository root (npm does), or pass the output
 * directory.
 */
export function render(): Map<string, string> {
  const out = new Map<string, string>();
  for (const lang of LANGS) for (const d of DASHBOARDS) out.set(`${lang}/${d.file}.json`, `${JSON.stringify(d.build(lang), null, 2)}\n`);
  return out;
}

const isMain =
  process.argv[1] &&
  resolve(process.argv[1])
    .replace(/\.ts$/, '.js')
    .endsWith(join('dashboards', 'src', 'generate.js'));
if (isMain) {
  const dir = resolve(process.argv[2] ?? join(process.cwd(), 'dashboards', 'generated'));
  for (const [file, text] of render()) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
    process.stdout.write(`${join(dir, file)}\n`);
  }
}
