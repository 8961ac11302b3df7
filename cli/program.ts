import { Command, CommanderError } from 'commander';
import { registerAgentCommand } from '../agent/cli.js';
import { registerIpv6CheckCommand } from '../agent/sources/ipv6check/cli.js';
import { registerFactsCommand } from '../agent/sources/posture/cli.js';
import { registerProbeCommand } from '../agent/sources/probes/cli.js';
import { registerSnmpCommand } from '../agent/sources/snmp/cli.js';
import { registerAlertsCommand } from '../collector/alerts/cli.js';
import { registerCollectorCommand } from '../collector/cli.js';
import { registerRulesCommand } from '../collector/rules/cli.js';
import { registerMlpsCommands } from '../collector/mlps/cli.js';
import { ConfigError } from '../lib/config.js';
import { VERSION } from '../lib/version.js';
import { registerTuiCommand } from '../tui/cli.js';
import { registerDemoCommand } from './demo.js';

/** `xunjian` — one binary for agent, collector and tools. Each capability registers its commands here. */
export function buildProgram(): Command {
  const program = new Command('xunjian')
    .description('Xunjian (巡检): network and security operations monitoring for e-government networks')
    .version(VERSION, '-V, --version')
    .showHelpAfterError()
    .configureHelp({ showGlobalOptions: true });
  registerDemoCommand(program);
  registerCollectorCommand(program);
  registerAgentCommand(program);
  registerProbeCommand(program);
  registerIpv6CheckCommand(program);
  registerFactsCommand(program);
  registerSnmpCommand(program);
  registerRulesCommand(program);
  registerAlertsCommand(program);
  registerMlpsCommands(program);
  registerTuiCommand(program);
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
    await buildProgram().parseAsync(argv);
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
