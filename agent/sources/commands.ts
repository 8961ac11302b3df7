import type { Command } from 'commander';
import type { CommandContext } from '../source.js';
import { PLUGINS } from './index.js';

/**
 * The top-level commands of the source plugins, for cli/program.ts: each plugin's registration gets a
 * context that loads its own section of the agent config (`xunjian snmp poll --credential NAME -c FILE`),
 * so a source's CLI never imports the agent's.
 */
export function sourceCommands(): { names: readonly string[]; load(): Promise<(program: Command) => void> }[] {
  return PLUGINS.flatMap(([name, plugin]) => {
    const cmds = plugin.commands;
    if (!cmds) return [];
    const ctx: CommandContext<unknown> = {
      config: async (file) => {
        const { loadAgentConfig } = await import('../cli.js');
        return (loadAgentConfig(file).sources as Record<string, unknown>)[name];
      },
    };
    const load = async () => {
      const register = await cmds.register();
      return (program: Command) => register(program, ctx);
    };
    return [{ names: cmds.names, load }];
  });
}
