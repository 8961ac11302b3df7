import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { bounded } from '../lib/args.js';
import { type Lang, langFromEnv } from './i18n.js';

export interface TuiOptions {
  collector: string;
  tokenFile?: string;
  refresh: number;
  lang?: Lang;
}

/** Pure: the API token, from --token-file (first line) or XUNJIAN_API_TOKEN; never echoed. */
export function resolveToken(
  o: Pick<TuiOptions, 'tokenFile'>,
  env: NodeJS.ProcessEnv,
  read: (f: string) => string = (f) => readFileSync(f, 'utf8'),
): string | undefined {
  if (o.tokenFile) {
    let text: string;
    try {
      text = read(o.tokenFile);
    } catch (err) {
      throw new Error(`--token-file: cannot read ${o.tokenFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    const t = text.split('\n')[0]!.trim();
    if (!t) throw new Error(`--token-file: ${o.tokenFile} is empty`);
    return t;
  }
  return env.XUNJIAN_API_TOKEN?.trim() || undefined;
}

/** Pure: colour unless NO_COLOR is set (any value), TERM is dumb, or stdout is not a terminal. */
export function colorEnabled(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  return isTTY && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

function collectorUrl(v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new InvalidArgumentError(`expected an http:// or https:// URL, got '${v}'`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidArgumentError(`expected an http:// or https:// URL, got '${v}'`);
  if (u.username || u.password) throw new InvalidArgumentError('put the token in --token-file or XUNJIAN_API_TOKEN, not in the URL');
  return u.origin + u.pathname.replace(/\/+$/, '');
}

export async function runTui(o: TuiOptions, env = process.env): Promise<void> {
  const token = resolveToken(o, env);
  if (!process.stdin.isTTY) throw new Error('xunjian tui needs a terminal on stdin (keys are read from it)');
  // Loaded here, not at the top: every other `xunjian` command starts without ink and React. React's
  // production build (the development one costs about a third more CPU per key, bench/tui).
  process.env.NODE_ENV ??= 'production';
  // ink draws only the last frame, and chalk no colours, when they think they run in CI (CI or
  // CONTINUOUS_INTEGRATION set, read when they load): on a real terminal the admin wants the live,
  // coloured screen whatever the shell exports.
  if (process.stdout.isTTY) for (const k of ['CI', 'CONTINUOUS_INTEGRATION']) delete process.env[k];
  const [{ render }, { createElement }, { App }, { CollectorClient }] = await Promise.all([
    import('ink'),
    import('react'),
    import('./app.js'),
    import('./client.js'),
  ]);
  const api = new CollectorClient(o.collector, { token, timeoutMs: Math.max(2000, Math.min(10_000, o.refresh * 1000)) });
  const tty = Boolean(process.stdout.isTTY);
  // Full screen on the alternate buffer; the shell's screen comes back on exit.
  if (tty) process.stdout.write('\u001b[?1049h\u001b[H');
  // Whole-frame redraws (ink's incremental mode mis-places lines on the alternate screen); ink writes
  // each frame in one write, inside synchronized-output marks where the terminal supports them.
  const app = render(createElement(App, { api, lang: o.lang ?? langFromEnv(env), color: colorEnabled(env, tty), refreshMs: o.refresh * 1000 }), {
    patchConsole: true,
  });
  try {
    await app.waitUntilExit();
  } finally {
    if (tty) process.stdout.write('\u001b[?1049l');
    await api.close();
  }
}

export function registerTuiCommand(program: Command): void {
  program
    .command('tui')
    .description('the admin terminal UI: fleet, node detail, devices, alerts (claim, acknowledge, silence)')
    .requiredOption('--collector <url>', 'collector base URL, e.g. http://127.0.0.1:9700', collectorUrl)
    .option('--token-file <file>', 'file holding the API token (first line); default: $XUNJIAN_API_TOKEN')
    .option('--refresh <seconds>', 'refresh interval', (v) => bounded(v, 1, 3600), 5)
    .option('--lang <lang>', 'labels: en or zh (default: from LANG)', (v) => {
      if (v !== 'en' && v !== 'zh') throw new InvalidArgumentError("expected 'en' or 'zh'");
      return v as Lang;
    })
    .action(async (opts: TuiOptions) => {
      await runTui(opts);
      process.exit(0);
    });
}
