/**
 * `xunjian mlps check` (this host against the level 2/3 pack, Lynis-style, exit 1 when a check fails)
 * and `xunjian report mlps` (the assessor report of this host: html, pdf, md, csv, json).
 * Exit 2 for bad parameters, packs or arguments.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { type Command, InvalidArgumentError } from 'commander';
import type { PostureFacts } from '../../contract/facts/posture.js';
import { bounded } from '../../lib/args.js';
import { ConfigError } from '../../lib/config.js';
import { collectPosture } from '../../agent/sources/posture/collect.js';
import { rootProblem } from '../../agent/sources/posture/cli.js';
import { type TargetEvaluation, evaluateTarget } from './evaluate.js';
import { type Grade, type Lang, type Pack, PackError, defaultPackDir, loadPack } from './pack.js';
import { NO_OVERRIDES, loadParams, resolveParams } from './params.js';
import { type ReportMeta, packInfo } from './report/model.js';
import { htmlToPdf } from './report/pdf.js';
import { REPORT_FORMATS, type ReportFormat, renderReport } from './report/render.js';
import { renderCheckText } from './text.js';

interface HostOptions {
  root?: string;
  grade: Grade;
  params?: string;
  lang: Lang;
  zone?: string;
  site?: string;
  node?: string;
  rules?: string;
  timeout: number;
}

const gradeArg = (v: string): Grade => {
  if (v !== '2' && v !== '3') throw new InvalidArgumentError('2 or 3');
  return Number(v) as Grade;
};
const langArg = (v: string): Lang => {
  if (v !== 'zh-CN' && v !== 'en') throw new InvalidArgumentError('zh-CN or en');
  return v;
};

/** A usage problem (bad params, pack, root): message to stderr, exit status 2. */
class UsageError extends Error {}

/** Loads the pack and parameters, collects this host's facts and evaluates them. */
export async function evaluateHost(
  o: HostOptions,
  collect: (root: string, timeout: number) => Promise<PostureFacts> = collectPosture,
  now = () => new Date(),
): Promise<{ pack: Pack; evaluation: TargetEvaluation; meta: ReportMeta }> {
  const problem = rootProblem(o.root);
  if (problem) throw new UsageError(problem);
  let pack: Pack;
  try {
    pack = loadPack(o.grade, o.rules ?? defaultPackDir());
  } catch (err) {
    if (err instanceof PackError) throw new UsageError(`invalid MLPS pack:\n${err.message}`);
    throw err;
  }
  let overrides = NO_OVERRIDES;
  try {
    if (o.params) overrides = loadParams(o.params, pack);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  const p = await collect(o.root ?? '/', o.timeout);
  const id = o.node ?? (p.live ? hostname() : (o.root ?? '/'));
  const target = { id, kind: 'host' as const, zone: o.zone, site: o.site, facts: p.facts, collectedAt: p.collectedAt };
  const evaluation = evaluateTarget(pack, target, { params: resolveParams(pack, overrides, target), now: now() });
  return { pack, evaluation, meta: { lang: o.lang, generatedAt: evaluation.evaluatedAt, ...packInfo(pack) } };
}

function hostOptions(c: Command, gradeRequired = true): Command {
  c.option('--root <dir>', 'read the host under DIR (a mounted image or fixture) instead of this host');
  if (gradeRequired) c.requiredOption('--grade <n>', 'MLPS level: 2 or 3', gradeArg);
  else c.option('--grade <n>', 'MLPS level: 2 or 3 (required without --collector)', gradeArg);
  return c
    .option('--params <file>', 'YAML file of parameter overrides (defaults, zones, sites, nodes)')
    .option('--lang <lang>', 'zh-CN or en', langArg, 'zh-CN' as Lang)
    .option('--zone <zone>', 'the zone whose parameter overrides apply')
    .option('--site <site>', 'the site whose parameter overrides apply')
    .option('--node <id>', 'the node id (default: the host name, or DIR with --root)')
    .option('--rules <dir>', 'the pack folder (default: the shipped rules/mlps)')
    .option('--timeout <seconds>', 'per-command time limit of the collection (above 0, up to 120)', (v) => bounded(v, 0, 120, false, true), 20);
}

async function run(name: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof UsageError || err instanceof RemoteError) {
      process.stderr.write(`xunjian ${name}: ${err.message}\n`);
      process.exitCode = err instanceof UsageError ? 2 : 1;
      return;
    }
    throw err;
  }
}

/** Reads a previous JSON report (`--previous`) as evaluations, for the trend. */
function previousResults(file: string): TargetEvaluation[] {
  let doc: { targets?: TargetEvaluation[] };
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as { targets?: TargetEvaluation[] };
  } catch (err) {
    throw new UsageError(`--previous ${file}: not a readable JSON report (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!Array.isArray(doc.targets)) throw new UsageError(`--previous ${file}: no "targets" list (expected a report written by --format json)`);
  return doc.targets;
}

/** A command failing at run time (the collector refused or is unreachable): message to stderr, exit 1. */
class RemoteError extends Error {}

/** GET /api/v1/compliance/report of a collector; the token from --token-file or XUNJIAN_API_TOKEN, never printed. */
export async function fetchReport(
  collector: string,
  tokenFile: string | undefined,
  format: string,
  q: Record<string, string | undefined>,
): Promise<Uint8Array> {
  let token = process.env.XUNJIAN_API_TOKEN;
  if (tokenFile) {
    try {
      token = readFileSync(tokenFile, 'utf8').trim();
    } catch (err) {
      throw new UsageError(`cannot read --token-file ${tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  if (!token) throw new UsageError('an API token of role security is needed: --token-file FILE or XUNJIAN_API_TOKEN');
  const base = collector.replace(/\/+$/, '');
  const qs = new URLSearchParams({ format });
  for (const [k, v] of Object.entries(q)) if (v) qs.set(k, v);
  let res: Response;
  try {
    res = await fetch(`${base}/api/v1/compliance/report?${qs}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(120_000) });
  } catch (err) {
    throw new RemoteError(`cannot reach the collector at ${base}: ${(err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message}`);
  }
  const body = new Uint8Array(await res.arrayBuffer());
  if (!res.ok) {
    let e: { error?: string; message?: string } = {};
    try {
      e = JSON.parse(Buffer.from(body).toString('utf8')) as typeof e;
    } catch {
      // not JSON
    }
    throw new RemoteError(`${res.status} ${e.error ?? ''}: ${e.message ?? Buffer.from(body).toString('utf8').slice(0, 200)}`.replace(/ :/, ':'));
  }
  return body;
}

export function registerMlpsCommands(program: Command): void {
  const mlps = program.command('mlps').description('MLPS 2.0 (等保 2.0) grading protection checks');
  hostOptions(mlps.command('check').description('check this host against the level 2 or 3 pack; exit 1 when a check fails'))
    .option('--json', 'print the results as JSON (the report JSON format)')
    .option('--all-manual', 'list every manual item of the standard, not only their count')
    .action((o: HostOptions & { json?: boolean; allManual?: boolean }) =>
      run('mlps check', async () => {
        const { evaluation, meta } = await evaluateHost(o);
        process.stdout.write(
          o.json
            ? renderReport('json', [evaluation], meta)
            : renderCheckText(evaluation, meta, { color: process.stdout.isTTY === true, allManual: o.allManual }),
        );
        if (evaluation.score.failed > 0) process.exitCode = 1;
      }),
    );

  const report = program.command('report').description('reports');
  hostOptions(report.command('mlps').description("the MLPS 2.0 assessor report of this host, or of a collector's fleet with --collector"), false)
    .requiredOption('--format <format>', `${[...REPORT_FORMATS, 'pdf'].join(', ')}`, (v) => {
      if (![...REPORT_FORMATS, 'pdf'].includes(v)) throw new InvalidArgumentError([...REPORT_FORMATS, 'pdf'].join(', '));
      return v;
    })
    .option('-o, --output <file>', 'write the report to FILE (required for pdf on a terminal)')
    .option('--previous <file>', 'a previous JSON report of the same targets, for the trend')
    .option('--system <name>', 'the name of the system assessed, for the title')
    .option(
      '--collector <url>',
      "fetch the report of the collector's evaluations (GET /api/v1/compliance/report, role security); --node, --site, --zone filter",
    )
    .option('--token-file <file>', 'file holding the API token for --collector (else XUNJIAN_API_TOKEN)')
    .action((o: HostOptions & { format: ReportFormat | 'pdf'; output?: string; previous?: string; system?: string; collector?: string; tokenFile?: string }) =>
      run('report mlps', async () => {
        if (o.format === 'pdf' && !o.output && process.stdout.isTTY) throw new UsageError('--format pdf writes binary: give --output FILE or redirect stdout');
        if (o.collector) {
          const body = await fetchReport(o.collector, o.tokenFile, o.format, { node: o.node, site: o.site, zone: o.zone, lang: o.lang });
          if (o.output) writeFileSync(o.output, body);
          else process.stdout.write(body);
          return;
        }
        if (!o.grade) throw new UsageError('--grade 2|3 is required (or --collector URL)');
        const previous = o.previous ? previousResults(o.previous) : undefined;
        const { evaluation, meta } = await evaluateHost(o);
        const m: ReportMeta = { ...meta, ...(previous ? { previous } : {}), ...(o.system ? { system: o.system } : {}) };
        const body: string | Uint8Array = o.format === 'pdf' ? await htmlToPdf(renderReport('html', [evaluation], m)) : renderReport(o.format, [evaluation], m);
        if (o.output) writeFileSync(o.output, body);
        else process.stdout.write(body);
      }),
    );
}
