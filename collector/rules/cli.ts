import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseExpr, testEngine } from './engine.js';
import { type GroupDef, parseRuleFile, RuleFileError } from './rulefile.js';
import { labelsKey } from './types.js';
import { rulesUnitTest } from './unittest.js';

/**
 * `xunjian rules check FILE…` (promtool check rules, plus refusals of what our PromQL and template
 * subsets lack) and `xunjian rules test FILE…` (promtool test rules through our engine). Output and
 * exit codes are promtool's.
 */

export interface CheckOutput {
  stdout: string;
  stderr: string;
  code: number;
}

/** promtool's duplicate-rules lint: rules with equal name and labels. */
function duplicates(groups: GroupDef[]): { metric: string; labels: Record<string, string> }[] {
  const rules = groups.flatMap((g) => g.rules.map((r) => ({ metric: r.name, labels: r.labels, key: `${r.name}\xfe${labelsKey(r.labels)}` })));
  rules.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const out: { metric: string; labels: Record<string, string> }[] = [];
  for (let i = 1; i < rules.length; i++) {
    if (
      rules[i]!.key === rules[i - 1]!.key &&
      (out.length === 0 || out[out.length - 1]!.metric + labelsKey(out[out.length - 1]!.labels) !== rules[i]!.metric + labelsKey(rules[i]!.labels))
    )
      out.push(rules[i]!);
  }
  return out;
}

export function checkRuleFiles(files: string[], opts: { lintFatal?: boolean } = {}): CheckOutput {
  let stdout = '';
  let stderr = '';
  let failed = false;
  let hasErrors = false;
  for (const f of files) {
    stdout += `Checking ${f}\n`;
    let errs: string[] = [];
    let lint = false;
    let n = 0;
    try {
      const groups = parseRuleFile(f, readFileSync(f, 'utf8'), parseExpr);
      n = groups.reduce((a, g) => a + g.rules.length, 0);
      const d = duplicates(groups);
      if (d.length) {
        lint = true;
        let msg = `lint error ${d.length} duplicate rule(s) found.\n`;
        for (const x of d) {
          msg += `Metric: ${x.metric}\nLabel(s):\n`;
          for (const k of Object.keys(x.labels).sort()) msg += `\t${k}: ${x.labels[k]}\n`;
        }
        msg += 'Might cause inconsistency while recording expressions';
        errs = [msg];
      }
    } catch (e) {
      if (e instanceof RuleFileError) errs = e.errors.map((x) => `${f}: ${x}`);
      else errs = [`${f}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? `open ${f}: no such file or directory` : (e as Error).message}`];
    }
    if (errs.length) {
      stderr += `  FAILED:\n${errs.join('\n')}\n`;
      failed = true;
      hasErrors ||= !lint;
    } else stdout += `  SUCCESS: ${n} rules found\n`;
    stdout += '\n';
  }
  const code = failed && hasErrors ? 1 : failed && opts.lintFatal ? 3 : 0;
  return { stdout, stderr, code };
}

export function registerRulesCommand(program: Command): void {
  const cmd = program.command('rules').description('alert and recording rules: check rule files, run their unit tests (promtool formats)');
  cmd
    .command('check')
    .description('check rule files as `promtool check rules` does, and refuse what our PromQL subset lacks')
    .argument('<files...>', 'rule files')
    .option('--lint-fatal', 'make lint errors (duplicate rules) exit with status 3')
    .action((files: string[], opts: { lintFatal?: boolean }) => {
      const r = checkRuleFiles(files, opts);
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      process.exitCode = r.code;
    });
  cmd
    .command('test')
    .description("run rule unit tests in promtool's format (`promtool test rules`) through the collector's engine")
    .argument('<files...>', 'test files')
    .action((files: string[]) => {
      const r = rulesUnitTest(files, testEngine);
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      process.exitCode = r.code;
    });
}
