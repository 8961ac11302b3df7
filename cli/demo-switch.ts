import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import snmp from 'net-snmp';

/**
 * The demo's simulated switch: an SNMPv2c agent (net-snmp's Agent API) in the demo process, on loopback,
 * serving the system group and IF-MIB ifTable/ifXTable of a Huawei VRP access switch. Counters and
 * the flapping interface are a pure function of the clock (`switchState`), so a test can check exact
 * values with an injected clock.
 */

export const SYS_OBJECT_ID = '1.3.6.1.4.1.2011.2.23.1';
export const SYS_DESCR =
  'Huawei Versatile Routing Platform Software\r\nVRP (R) software, Version 5.170 (S5720 V200R011C10SPC500)\r\nCopyright (C) 2000-2018 HUAWEI TECH CO., LTD\r\nHUAWEI S5720-28X-SI-AC';
export const SYS_NAME = 'demo-switch';

/** One interface of the simulated switch; rates in octets per second. */
export interface SimInterface {
  ifIndex: number;
  ifName: string;
  ifDescr: string;
  ifAlias: string;
  /** ifHighSpeed in Mbit/s. */
  speedMbps: number;
  inOctetsPerSecond: number;
  outOctetsPerSecond: number;
  /** Goes oper-down for FLAP_DOWN_SECONDS every FLAP_PERIOD_SECONDS (admin status stays up). */
  flaps: boolean;
}

export const INTERFACES: readonly SimInterface[] = [
  {
    ifIndex: 1,
    ifName: 'GE0/0/1',
    ifDescr: 'GigabitEthernet0/0/1',
    ifAlias: 'uplink to county core',
    speedMbps: 1000,
    inOctetsPerSecond: 18_750_000,
    outOctetsPerSecond: 6_250_000,
    flaps: false,
  },
  {
    ifIndex: 2,
    ifName: 'GE0/0/2',
    ifDescr: 'GigabitEthernet0/0/2',
    ifAlias: 'office LAN',
    speedMbps: 1000,
    inOctetsPerSecond: 2_500_000,
    outOctetsPerSecond: 9_375_000,
    flaps: false,
  },
  {
    ifIndex: 3,
    ifName: 'GE0/0/3',
    ifDescr: 'GigabitEthernet0/0/3',
    ifAlias: 'branch link (flaps)',
    speedMbps: 100,
    inOctetsPerSecond: 625_000,
    outOctetsPerSecond: 312_500,
    flaps: true,
  },
  {
    ifIndex: 4,
    ifName: 'XGE0/0/1',
    ifDescr: 'XGigabitEthernet0/0/1',
    ifAlias: 'server farm',
    speedMbps: 10_000,
    inOctetsPerSecond: 125_000_000,
    outOctetsPerSecond: 62_500_000,
    flaps: false,
  },
];

/** The flapping interface is down for the first FLAP_DOWN_SECONDS of every period, starting FLAP_OFFSET_SECONDS after start. */
export const FLAP_PERIOD_SECONDS = 180;
export const FLAP_DOWN_SECONDS = 60;
export const FLAP_OFFSET_SECONDS = 30;

/** Octet counters at start (a switch that has been running for a while). */
const COUNTER_BASE = 1_000_000_000_000n;

export interface InterfaceState {
  ifIndex: number;
  /** 1 up, 2 down. */
  operStatus: 1 | 2;
  inOctets: bigint;
  outOctets: bigint;
}

export interface SwitchState {
  /** sysUpTime in hundredths of a second. */
  upTimeTicks: number;
  interfaces: InterfaceState[];
}

/** Whether the flapping interface is down `elapsedSeconds` (whole seconds) after start. */
export function flapDown(elapsedSeconds: number): boolean {
  const t = elapsedSeconds - FLAP_OFFSET_SECONDS;
  return t >= 0 && t % FLAP_PERIOD_SECONDS < FLAP_DOWN_SECONDS;
}

/** Seconds the flapping interface was down in [0, s) (it carries no traffic while down). */
function downSecondsBefore(s: number): number {
  const t = s - FLAP_OFFSET_SECONDS;
  if (t <= 0) return 0;
  return Math.floor(t / FLAP_PERIOD_SECONDS) * FLAP_DOWN_SECONDS + Math.min(t % FLAP_PERIOD_SECONDS, FLAP_DOWN_SECONDS);
}

/** The switch `elapsedMs` after start; counters advance once a second (whole seconds). */
export function switchState(elapsedMs: number): SwitchState {
  const ms = Math.max(0, elapsedMs);
  const s = Math.floor(ms / 1000);
  return {
    upTimeTicks: Math.floor(ms / 10) % 2 ** 32,
    interfaces: INTERFACES.map((i) => {
      const busy = BigInt(i.flaps ? s - downSecondsBefore(s) : s);
      return {
        ifIndex: i.ifIndex,
        operStatus: i.flaps && flapDown(s) ? 2 : 1,
        inOctets: COUNTER_BASE + busy * BigInt(i.inOctetsPerSecond),
        outOctets: COUNTER_BASE + busy * BigInt(i.outOctetsPerSecond),
      };
    }),
  };
}

/** Counter64 as net-snmp's agent takes it: 8 bytes, big-endian. */
function counter64(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt.asUintN(64, v));
  return b;
}

// The parts of net-snmp's agent API used here (net-snmp has no published types).
interface MibRequest {
  done(): void;
}
interface AgentMib {
  registerProvider(p: Record<string, unknown>): void;
  setScalarValue(name: string, v: unknown): void;
  addTableRow(name: string, row: unknown[]): void;
  setTableSingleCell(name: string, column: number, rowIndex: number[], v: unknown): void;
}
interface SnmpAgent {
  getMib(): AgentMib;
  getAuthorizer(): { addCommunity(c: string): void };
  close(cb?: () => void): void;
}
interface AgentApi {
  createAgent(options: Record<string, unknown>, cb: (err: Error | null) => void): SnmpAgent;
  ObjectType: Record<string, number>;
  MibProviderType: { Scalar: number; Table: number };
  MaxAccess: Record<string, number>;
}
const api = snmp as unknown as AgentApi;

export interface DemoSwitch {
  /** `udp://127.0.0.1:PORT` or `udp6://[::1]:PORT`. */
  address: string;
  port: number;
  /** SNMPv2c community (random, never logged). */
  community: string;
  /** Set every served value from the clock (also done every second). */
  refresh(): void;
  close(): Promise<void>;
}

export interface DemoSwitchOptions {
  host?: '127.0.0.1' | '::1';
  /** Wall clock in ms (tests inject one). */
  now?: () => number;
  /** Community; default 24 random characters. */
  community?: string;
  /** Refresh the values every second (default true; tests turn it off and call refresh()). */
  tick?: boolean;
}

/** Start the simulated switch on a free UDP port of the loopback address. */
export async function startDemoSwitch(o: DemoSwitchOptions = {}): Promise<DemoSwitch> {
  const host = o.host ?? '127.0.0.1';
  const now = o.now ?? Date.now;
  const community = o.community ?? randomBytes(18).toString('base64url');
  const started = now();
  const transport = host === '::1' ? 'udp6' : 'udp4';
  // net-snmp's listener binds the configured port (0 means 161): hand it a socket bound to port 0 instead.
  let socket: dgram.Socket | undefined;
  const dgramModule = {
    createSocket(type: dgram.SocketType) {
      const s = dgram.createSocket(type);
      const bind = s.bind.bind(s) as (port: number, address: string) => dgram.Socket;
      (s as unknown as { bind: () => dgram.Socket }).bind = () => bind(0, host);
      socket = s;
      return s;
    },
  };
  // request-level errors (e.g. a wrong community) are not fatal and are not logged (they may quote a community)
  const agent = api.createAgent({ port: 161, address: host, transport, dgramModule }, () => {});
  await new Promise<void>((resolve, reject) => {
    if (!socket) return reject(new Error('net-snmp agent created no socket'));
    socket.once('listening', () => resolve());
    socket.once('error', reject);
  });
  agent.getAuthorizer().addCommunity(community);
  const mib = agent.getMib();
  const T = api.ObjectType;
  const RO = api.MaxAccess['read-only'];
  const NA = api.MaxAccess['not-accessible'];
  const scalar = (name: string, oid: string, type: number | undefined, handler?: (r: MibRequest) => void) =>
    mib.registerProvider({ name, type: api.MibProviderType.Scalar, oid, scalarType: type, maxAccess: RO, ...(handler ? { handler } : {}) });
  scalar('sysDescr', '1.3.6.1.2.1.1.1', T.OctetString);
  scalar('sysObjectID', '1.3.6.1.2.1.1.2', T.OID);
  scalar('sysUpTime', '1.3.6.1.2.1.1.3', T.TimeTicks, (r) => {
    // exact at the moment of the request (the poller computes rates over the device's own uptime)
    mib.setScalarValue('sysUpTime', switchState(now() - started).upTimeTicks);
    r.done();
  });
  scalar('sysContact', '1.3.6.1.2.1.1.4', T.OctetString);
  scalar('sysName', '1.3.6.1.2.1.1.5', T.OctetString);
  scalar('sysLocation', '1.3.6.1.2.1.1.6', T.OctetString);
  mib.setScalarValue('sysDescr', SYS_DESCR);
  mib.setScalarValue('sysObjectID', SYS_OBJECT_ID);
  mib.setScalarValue('sysUpTime', 0);
  mib.setScalarValue('sysContact', 'noc@county.example.gov.cn');
  mib.setScalarValue('sysName', SYS_NAME);
  mib.setScalarValue('sysLocation', 'Xunjian demo (simulated)');
  const col = (number: number, name: string, type: number | undefined) => ({ number, name, type, maxAccess: RO });
  mib.registerProvider({
    name: 'ifEntry',
    type: api.MibProviderType.Table,
    oid: '1.3.6.1.2.1.2.2.1',
    maxAccess: NA,
    tableColumns: [
      col(1, 'ifIndex', T.Integer),
      col(2, 'ifDescr', T.OctetString),
      col(3, 'ifType', T.Integer),
      col(4, 'ifMtu', T.Integer),
      col(5, 'ifSpeed', T.Gauge),
      col(7, 'ifAdminStatus', T.Integer),
      col(8, 'ifOperStatus', T.Integer),
      col(9, 'ifLastChange', T.TimeTicks),
      col(10, 'ifInOctets', T.Counter),
      col(14, 'ifInErrors', T.Counter),
      col(16, 'ifOutOctets', T.Counter),
      col(20, 'ifOutErrors', T.Counter),
    ],
    tableIndex: [{ columnName: 'ifIndex' }],
  });
  mib.registerProvider({
    name: 'ifXEntry',
    type: api.MibProviderType.Table,
    oid: '1.3.6.1.2.1.31.1.1.1',
    maxAccess: NA,
    tableColumns: [
      col(1, 'ifName', T.OctetString),
      col(6, 'ifHCInOctets', T.Counter64),
      col(10, 'ifHCOutOctets', T.Counter64),
      col(15, 'ifHighSpeed', T.Gauge),
      col(18, 'ifAlias', T.OctetString),
    ],
    tableAugments: 'ifEntry',
  });
  for (const i of INTERFACES) {
    const speed = Math.min(i.speedMbps * 1_000_000, 2 ** 32 - 1);
    mib.addTableRow('ifEntry', [i.ifIndex, i.ifDescr, 6, 1500, speed, 1, 1, 0, 0, 0, 0, 0]);
    mib.addTableRow('ifXEntry', [i.ifIndex, i.ifName, counter64(0n), counter64(0n), i.speedMbps, i.ifAlias]);
  }
  const lastChange = new Map<number, number>();
  const refresh = () => {
    const st = switchState(now() - started);
    mib.setScalarValue('sysUpTime', st.upTimeTicks);
    for (const s of st.interfaces) {
      const row = [s.ifIndex];
      const prev = lastChange.get(s.ifIndex);
      mib.setTableSingleCell('ifEntry', 8, row, s.operStatus);
      if (prev === undefined || prev !== s.operStatus) {
        if (prev !== undefined) mib.setTableSingleCell('ifEntry', 9, row, st.upTimeTicks);
        lastChange.set(s.ifIndex, s.operStatus);
      }
      mib.setTableSingleCell('ifEntry', 10, row, Number(s.inOctets % 2n ** 32n));
      mib.setTableSingleCell('ifEntry', 16, row, Number(s.outOctets % 2n ** 32n));
      mib.setTableSingleCell('ifXEntry', 6, row, counter64(s.inOctets));
      mib.setTableSingleCell('ifXEntry', 10, row, counter64(s.outOctets));
    }
  };
  refresh();
  const timer = o.tick === false ? undefined : setInterval(refresh, 1000);
  timer?.unref();
  const port = socket!.address().port;
  return {
    address: host === '::1' ? `udp6://[::1]:${port}` : `udp://127.0.0.1:${port}`,
    port,
    community,
    refresh,
    close: () =>
      new Promise<void>((resolve) => {
        if (timer) clearInterval(timer);
        agent.close();
        resolve();
      }),
  };
}
