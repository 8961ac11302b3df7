import { statSync } from 'node:fs';
import type { Command } from 'commander';
import type { PostureFacts } from '../../../contract/facts/posture.js';
import { bounded } from '../../../lib/args.js';

function short(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 70 ? `${s.slice(0, 67)}...` : s;
}

export function renderFactsTable(p: PostureFacts): string {
  const rows = Object.entries(p.facts).map(([id, f]) => [
    id,
    f.status === 'ok' ? short(f.value) : `unknown: ${f.reason}`,
    f.evidence[0] ? `${f.evidence[0].source}${f.evidence[0].line ? `:${f.evidence[0].line}` : ''}` : '',
  ]);
  const w = Math.max(...rows.map((r) => r[0]!.length));
  const head = `Host posture facts (schema v${p.schemaVersion}) of ${p.live ? 'this host' : p.root}, ${p.collectedAt}`;
  return `${head}\n\n${'FACT'.padEnd(w)}  VALUE  [EVIDENCE]\n${rows.map(([id, v, e]) => `${id!.padEnd(w)}  ${v}${e ? `  [${e}]` : ''}`).join('\n')}\n`;
}

/** Why `--root DIR` cannot be scanned, or undefined when it can. */
export function rootProblem(root: string | undefined): string | undefined {
  if (root === undefined || root === '/') return undefined;
  try {
    if (!statSync(root).isDirectory()) return `--root ${root}: not a directory`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return `--root ${root}: ${code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : (code ?? (err as Error).message)}`;
  }
  return undefined;
}

export function registerFactsCommand(program: Command): void {
  program
    .command('facts')
    .description('collect and print the host security-posture facts (MLPS 2.0 evidence)')
    .option('--root <dir>', 'read the host under DIR (a mounted image or fixture) instead of this host')
    .option('--json', 'print JSON (the wire-contract facts schema) instead of a table')
    .option('--timeout <seconds>', 'per-command time limit (above 0, up to 120)', (v) => bounded(v, 0, 120, false, true), 20)
    .action(async (o: { root?: string; json?: boolean; timeout: number }) => {
      const problem = rootProblem(o.root);
      if (problem) {
        process.stderr.write(`xunjian facts: ${problem}\n`);
        process.exitCode = 2;
        return;
      }
      const { collectPosture } = await import('./collect.js'); // the collectors load when the command runs, not with every command
      const p = await collectPosture(o.root ?? '/', o.timeout);
      process.stdout.write(o.json ? `${JSON.stringify(p, null, 2)}\n` : renderFactsTable(p));
    });
}
