import type Database from 'better-sqlite3';
import type { Report } from '../../contract/types.js';

/** A network device polled over SNMP, as an asset. */
export interface DeviceRow {
  /** `<node>/<target>`. */
  id: string;
  node: string;
  target: string;
  sysName: string | null;
  sysObjectID: string | null;
  sysDescr: string | null;
  vendor: string | null;
  firmware: string | null;
  serial: string | null;
  site: string;
  zone: string;
  grade: number;
  firstSeen: number;
  lastSeen: number;
  lastPollOk: boolean | null;
}

const ENTERPRISES: Record<string, string> = { '2011': 'huawei', '25506': 'h3c', '4881': 'ruijie', '9': 'cisco', '2636': 'juniper', '8072': 'net-snmp' };

/** Pure: the vendor from a sysObjectID's enterprise number (1.3.6.1.4.1.<n>…). */
export function vendorOf(sysObjectID: string | null | undefined): string | null {
  const m = /^\.?1\.3\.6\.1\.4\.1\.(\d+)/.exec(sysObjectID ?? '');
  return m ? (ENTERPRISES[m[1]!] ?? `enterprise-${m[1]}`) : null;
}

/**
 * Pure: device identities a report carries: one per `network.device.<target>` fact group, with
 * sysName and (where a profile gives it) serial from the same report's samples, and site/zone/grade
 * from the target's labels when it sets them, else the node's.
 */
export function devicesOf(r: Report): Omit<DeviceRow, 'firstSeen' | 'lastSeen'>[] {
  const out: Omit<DeviceRow, 'firstSeen' | 'lastSeen'>[] = [];
  for (const [group, v] of Object.entries(r.facts ?? {})) {
    if (!group.startsWith('network.device.') || !v || typeof v !== 'object') continue;
    const target = group.slice('network.device.'.length);
    const f = v as Record<string, unknown>;
    const str = (x: unknown) => (typeof x === 'string' && x !== '' ? x : null);
    let sysName: string | null = null;
    let serial: string | null = null;
    let labels: Record<string, string> = {};
    for (const s of r.samples) {
      if (s.labels.target !== target) continue;
      if (s.name === 'sysName') sysName = s.labels.sysName ?? sysName;
      else if (/serial/i.test(s.name) && s.labels[s.name]) serial ??= s.labels[s.name]!;
      else if (s.name === 'xunjian_snmp_up') labels = s.labels;
    }
    const grade = Number(labels.grade);
    out.push({
      id: `${r.node.id}/${target}`,
      node: r.node.id,
      target,
      sysName,
      sysObjectID: str(f.sysObjectID),
      sysDescr: str(f.sysDescr),
      vendor: vendorOf(str(f.sysObjectID)),
      firmware: str((f.firmware as { version?: unknown } | null)?.version) ?? str(f.firmware),
      serial,
      site: labels.site ?? r.node.site,
      zone: labels.zone ?? r.node.zone,
      grade: grade === 2 || grade === 3 ? grade : r.node.grade,
      lastPollOk: typeof f.lastPollOk === 'boolean' ? f.lastPollOk : null,
    });
  }
  return out;
}

export class DeviceStore {
  private readonly q;
  constructor(db: Database.Database) {
    this.q = {
      upsert:
        db.prepare(`INSERT INTO devices (id, node_id, target, sys_name, sys_object_id, sys_descr, vendor, firmware, serial, site, zone, grade, first_seen, last_seen, last_poll_ok)
        VALUES (@id, @node, @target, @sysName, @sysObjectID, @sysDescr, @vendor, @firmware, @serial, @site, @zone, @grade, @now, @now, @lastPollOk)
        ON CONFLICT(id) DO UPDATE SET sys_name = coalesce(@sysName, sys_name), sys_object_id = coalesce(@sysObjectID, sys_object_id),
          sys_descr = coalesce(@sysDescr, sys_descr), vendor = coalesce(@vendor, vendor), firmware = coalesce(@firmware, firmware),
          serial = coalesce(@serial, serial), site = @site, zone = @zone, grade = @grade, last_seen = @now, last_poll_ok = @lastPollOk`),
      list: db.prepare<[], Record<string, unknown>>('SELECT * FROM devices ORDER BY id'),
    };
  }

  put(r: Report, now: number): void {
    for (const d of devicesOf(r)) this.q.upsert.run({ ...d, now, lastPollOk: d.lastPollOk === null ? null : d.lastPollOk ? 1 : 0 });
  }

  list(): DeviceRow[] {
    return this.q.list.all().map((r) => ({
      id: r.id as string,
      node: r.node_id as string,
      target: r.target as string,
      sysName: r.sys_name as string | null,
      sysObjectID: r.sys_object_id as string | null,
      sysDescr: r.sys_descr as string | null,
      vendor: r.vendor as string | null,
      firmware: r.firmware as string | null,
      serial: r.serial as string | null,
      site: r.site as string,
      zone: r.zone as string,
      grade: r.grade as number,
      firstSeen: r.first_seen as number,
      lastSeen: r.last_seen as number,
      lastPollOk: r.last_poll_ok === null ? null : r.last_poll_ok === 1,
    }));
  }
}
