import { type Command, InvalidArgumentError, Option } from 'commander';
import { bounded } from '../../../lib/args.js';
import type { Credential } from './client.js';
import type { CommandContext } from '../../source.js';
import { DES_AVAILABLE, type SnmpSourceConfig, toCredential } from './config.js';
import { parseEndpoint } from './endpoint.js';

// net-snmp and the profiles are imported by the actions: registering the command loads none of them. A
// named credential comes from this source's section of the agent config, loaded by the context the
// registry passes (this folder does not depend on the agent's CLI).

interface CredOpts {
  community?: string;
  snmpVersion: '1' | '2c' | '3';
  v3User?: string;
  v3Level?: 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';
  authProto?: string;
  authKey?: string;
  privProto?: string;
  privKey?: string;
  credential?: string;
  config?: string;
  timeout: number;
  retries: number;
  maxRepetitions: number;
}

async function credential(o: CredOpts, ctx: CommandContext<SnmpSourceConfig>): Promise<Credential> {
  if (o.credential) {
    const c = (await ctx.config(o.config)).credentials[o.credential];
    if (!c) throw new InvalidArgumentError(`no credential '${o.credential}' in sources.snmp.credentials of ${o.config ?? 'the default config'}`);
    return toCredential(c);
  }
  if (o.snmpVersion === '3') {
    if (!o.v3User) throw new InvalidArgumentError('--snmp-version 3 needs --v3-user');
    const level = o.v3Level ?? (o.privKey ? 'authPriv' : o.authKey ? 'authNoPriv' : 'noAuthNoPriv');
    const need = (flag: string, v: string | undefined) => {
      if (!v || v.length < 8) throw new InvalidArgumentError(`--v3-level ${level} needs ${flag} of at least 8 characters`);
    };
    if (level !== 'noAuthNoPriv') need('--auth-key', o.authKey);
    if (level === 'authPriv') need('--priv-key', o.privKey);
    if (level === 'authPriv' && o.privProto === 'des' && !DES_AVAILABLE)
      throw new InvalidArgumentError("--priv-proto des is unavailable: this Node.js's OpenSSL 3 has no des-cbc");
    return {
      version: '3',
      v3: {
        user: o.v3User,
        level,
        authProto: (o.authProto ?? 'sha') as never,
        authKey: o.authKey,
        privProto: (o.privProto ?? 'aes') as never,
        privKey: o.privKey,
      },
    };
  }
  return { version: o.snmpVersion, community: o.community ?? 'public' };
}

function withCredentialOptions(c: Command): Command {
  return (
    c
      .option(
        '--snmp-version <v>',
        '1, 2c or 3',
        (v) => {
          if (!['1', '2c', '3'].includes(v)) throw new InvalidArgumentError('expected 1, 2c or 3');
          return v;
        },
        '2c',
      )
      // secrets may come from the environment, so they are not in the process list (ps) or shell history
      .addOption(new Option('--community <c>', 'v1/v2c community (default public)').env('XUNJIAN_SNMP_COMMUNITY'))
      .option('--v3-user <name>', 'SNMPv3 user')
      .addOption(new Option('--v3-level <level>', 'SNMPv3 security level').choices(['noAuthNoPriv', 'authNoPriv', 'authPriv']))
      .addOption(new Option('--auth-proto <p>', 'SNMPv3 authentication protocol').choices(['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512']))
      .addOption(new Option('--auth-key <key>', 'SNMPv3 authentication passphrase').env('XUNJIAN_SNMP_AUTH_KEY'))
      .addOption(new Option('--priv-proto <p>', 'SNMPv3 privacy protocol').choices(['des', 'aes', 'aes256b', 'aes256r']))
      .addOption(new Option('--priv-key <key>', 'SNMPv3 privacy passphrase').env('XUNJIAN_SNMP_PRIV_KEY'))
      .option('--credential <name>', 'a named credential from sources.snmp.credentials of the agent config')
      .option('-c, --config <file>', 'agent config file (for --credential)')
      .option('--timeout <seconds>', 'request timeout (above 0, up to 60)', (v) => bounded(v, 0, 60, false, true), 5)
      .option('--retries <n>', 'retries (0-10)', (v) => bounded(v, 0, 10, true), 1)
      .option('--max-repetitions <n>', 'GETBULK max-repetitions (1-200)', (v) => bounded(v, 1, 200, true), 25)
  );
}

export function registerSnmpCommand(program: Command, ctx: CommandContext<SnmpSourceConfig>): void {
  const snmp = program.command('snmp').description('poll or walk an SNMP device once (udp://HOST:PORT, udp6://[IPv6]:PORT)');
  registerPoll(snmp, ctx);
  registerWalk(snmp, ctx);
}

/** `xunjian snmp poll TARGET`: one poll with the profiles, as Prometheus text. */
function registerPoll(snmp: Command, ctx: CommandContext<SnmpSourceConfig>): void {
  withCredentialOptions(
    snmp
      .command('poll <target>')
      .description('poll once with profiles and print Prometheus text exposition')
      .option('--profile <name...>', 'profiles to use (default: chosen by sysObjectID)')
      .option('--profiles-dir <dir>', 'extra profiles folder'),
  ).action(async (target: string, o: CredOpts & { profile?: string[]; profilesDir?: string }) => {
    const [{ scrapeDevice, SNMP_HELP }, { loadProfiles }, { renderExposition }] = await Promise.all([
      import('./device.js'),
      import('./profiles.js'),
      import('../../../contract/exposition.js'),
    ]);
    const r = await scrapeDevice({
      endpoint: parseEndpoint(target),
      credential: await credential(o, ctx),
      timeoutMs: o.timeout * 1000,
      retries: o.retries,
      maxRepetitions: o.maxRepetitions,
      walkConcurrency: 4,
      profiles: loadProfiles(o.profilesDir),
      use: o.profile,
      labels: {},
    });
    if (!r.ok) {
      process.stderr.write(`xunjian snmp poll: ${target}: ${r.error}\n`);
      process.exitCode = 1;
      return;
    }
    const ts = Date.now();
    const self = [
      { name: 'snmp_scrape_duration_seconds', labels: {}, value: r.stats.seconds, type: 'gauge' as const, ts },
      { name: 'snmp_scrape_pdus_returned', labels: {}, value: r.stats.varbinds, type: 'gauge' as const, ts },
      { name: 'snmp_scrape_packets_sent', labels: {}, value: r.stats.packetsSent, type: 'gauge' as const, ts },
      { name: 'snmp_scrape_packets_retried', labels: {}, value: r.stats.packetsRetried, type: 'gauge' as const, ts },
    ];
    process.stdout.write(renderExposition([...r.samples, ...self], { help: { ...r.help, ...SNMP_HELP } }));
    process.stderr.write(`# profiles: ${r.profiles.join(', ')}${r.sysObjectID ? ` (sysObjectID ${r.sysObjectID})` : ''}\n`);
  });
}

/** `xunjian snmp walk TARGET OID`: the varbinds of a subtree. */
function registerWalk(snmp: Command, ctx: CommandContext<SnmpSourceConfig>): void {
  withCredentialOptions(snmp.command('walk <target> <oid>').description('walk a subtree and print the varbinds')).action(
    async (target: string, oid: string, o: CredOpts) => {
      if (!/^\.?\d+(\.\d+)*$/.test(oid)) throw new InvalidArgumentError(`expected a numeric OID, got '${oid}'`);
      const cred = await credential(o, ctx);
      const [{ openScraper, resolveEndpoint, scrub, secretsOf }, { labelValue }] = await Promise.all([import('./client.js'), import('./values.js')]);
      let s: ReturnType<typeof openScraper> | undefined;
      try {
        s = openScraper(await resolveEndpoint(parseEndpoint(target)), cred, {
          timeoutMs: o.timeout * 1000,
          retries: o.retries,
          maxRepetitions: o.maxRepetitions,
        });
        for (const v of await s.walk(oid.replace(/^\./, ''))) process.stdout.write(`${v.oid} = ${typeName(v.type)}: ${labelValue(v.type, v.value)}\n`);
      } catch (err) {
        process.stderr.write(`xunjian snmp walk: ${target}: ${scrub((err as Error).message, secretsOf(cred))}\n`);
        process.exitCode = 1;
      } finally {
        s?.close();
      }
    },
  );
}

const TYPE_NAMES: Record<number, string> = {
  2: 'INTEGER',
  4: 'STRING',
  6: 'OID',
  64: 'IpAddress',
  65: 'Counter32',
  66: 'Gauge32',
  67: 'Timeticks',
  70: 'Counter64',
};
function typeName(t: number): string {
  return TYPE_NAMES[t] ?? `type ${t}`;
}
