import type { Snapshot, IfCounters } from './linkhealth.js';
import type { Walked } from './poll.js';
import { bigValue, isError, labelValue } from './values.js';

const IF = '1.3.6.1.2.1.2.2.1';
const IFX = '1.3.6.1.2.1.31.1.1.1';

/** Pure: the interface counters of one poll, 64-bit from ifXTable, else 32-bit from ifTable. */
export function interfaceSnapshot(vb: Walked, uptime: number, at: number): Snapshot {
  const ifs = new Map<string, IfCounters>();
  const big = (oid: string) => {
    const v = vb.get(oid);
    return v && !isError(v.type) ? bigValue(v.type, v.value) : undefined;
  };
  const prefix = `${IF}.2.`; // ifDescr: present for every interface
  for (const [oid, v] of vb) {
    if (!oid.startsWith(prefix) || isError(v.type)) continue;
    const ix = oid.slice(prefix.length);
    const nameVb = vb.get(`${IFX}.1.${ix}`) ?? vb.get(`${IF}.2.${ix}`);
    const name = nameVb ? labelValue(nameVb.type, nameVb.value) : ix;
    const hcIn = big(`${IFX}.6.${ix}`);
    const hcOut = big(`${IFX}.10.${ix}`);
    const hc = hcIn !== undefined && hcOut !== undefined;
    const inOctets = hc ? hcIn : big(`${IF}.10.${ix}`);
    const outOctets = hc ? hcOut : big(`${IF}.16.${ix}`);
    if (inOctets === undefined || outOctets === undefined) continue;
    const high = big(`${IFX}.15.${ix}`);
    const speed = big(`${IF}.5.${ix}`);
    const oper = big(`${IF}.8.${ix}`);
    const disc = big(`${IFX}.19.${ix}`);
    const last = big(`${IF}.9.${ix}`);
    ifs.set(ix, {
      name,
      bits: hc ? 64 : 32,
      inOctets,
      outOctets,
      inErrors: big(`${IF}.14.${ix}`),
      outErrors: big(`${IF}.20.${ix}`),
      inDiscards: big(`${IF}.13.${ix}`),
      outDiscards: big(`${IF}.19.${ix}`),
      speedMbps: high !== undefined && high > 0n ? Number(high) : speed !== undefined && speed > 0n ? Number(speed) / 1e6 : undefined,
      operStatus: oper !== undefined ? Number(oper) : undefined,
      lastChange: last !== undefined ? Number(last) : undefined,
      discontinuity: disc !== undefined ? Number(disc) : undefined,
    });
  }
  return { uptime, at, ifs };
}
