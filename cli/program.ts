import { Command, CommanderError } from 'commander';
import { ConfigError } from '../lib/config.js';
import { VERSION } from '../lib/version.js';

type Register = (program: Command) => void;

/** A module adding top-level commands: their names, and its registration function, imported on demand. */
export interface CommandModule {
  names: readonly string[];
  load(): Promise<Register>;
}

/**
 * The program's commands outside the agent's sources (the sources' own commands come from their plugins,
 * agent/sources/registry.ts). Each capability adds one entry. `xunjian <name> …` imports only the module
 * owning `<name>`: an agent does not load the collector, the TUI or the MLPS engine (idle RSS in bench/README.md).
 */
export const COMMANDS: readonly CommandModule[] = [
  { names: ['demo'], load: async () => (await import('./demo.js')).registerDemoCommand },
  { names: ['collector'], load: async () => (await import('../collector/cli.js')).registerCollectorCommand },
  { names: ['agent'], load: async () => (await import('../agent/cli.js')).registerAgentCommand },
  { names: ['rules'], load: async () => (await import('../collector/rules/cli.js')).registerRulesCommand },
  { names: ['alerts'], load: async () => (await import('../collector/alerts/cli.js')).registerAlertsCommand },
  { names: ['mlps', 'report'], load: async () => (await import('../collector/mlps/cli.js')).registerMlpsCommands },
  { names: ['tui'], load: async () => (await import('../tui/cli.js')).registerTuiCommand },
];

/** Every command module: the ones above, then each source plugin's commands (with its section of the agent config at hand). */
export async function commandModules(): Promise<CommandModule[]> {
  const { sourceCommands } = await import('../agent/sources/commands.js');
  return [...COMMANDS, ...sourceCommands()];
}

/** The first operand of argv (`agent` in `xunjian -V agent --once`), or undefined. */
export function commandName(argv: readonly string[]): string | undefined {
  return argv.slice(2).find((a) => !a.startsWith('-'));
}

/**
 * `xunjian` — one binary for agent, collector and tools. With `only`, the modules of that command alone
 * are loaded (when one owns it); otherwise all of them (help, an unknown command).
 */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command('xunjian')
    .description('Xunjian (巡检): network and security operations monitoring for e-government networks')
    .version(VERSION, '-V, --version')
    .showHelpAfterError()
    .configureHelp({ showGlobalOptions: true });
  const all = await commandModules();
  const mine = all.filter((m) => only !== undefined && m.names.includes(only));
  for (const m of mine.length ? mine : all) (await m.load())(program);
  return program;
}

/**
 * A reader that went away (`xunjian snmp walk … | head -1`) is the normal end of a command's output:
 * exit quietly (status 0), never with a stack trace.
 */
export function quietOnBrokenPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

export async function main(argv: string[]): Promise<void> {
  quietOnBrokenPipe(process.stdout);
  quietOnBrokenPipe(process.stderr);
  try {
    await (await buildProgram(commandName(argv))).parseAsync(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`xunjian: ${err.message}\n`);
      process.exit(2);
    }
    if (err instanceof CommanderError) {
      // commander prints and exits on its own parse errors; one that reaches here came from an action
      process.stderr.write(`xunjian: ${err.message}\n`);
      process.exit(err.exitCode);
    }
    process.stderr.write(`xunjian: ${process.env.XUNJIAN_DEBUG ? ((err as Error).stack ?? String(err)) : ((err as Error).message ?? String(err))}\n`);
    process.exit(1);
  }
}
