/** Pure: vendor, OS and firmware version from a sysDescr (Huawei VRP, H3C Comware, Ruijie RGOS, Cisco IOS/IOS XE). */
export interface Firmware {
  vendor: 'huawei' | 'h3c' | 'ruijie' | 'cisco';
  os: string;
  /** The release that identifies the firmware build (Huawei: VxxxRxxxCxx…, H3C: the Release). */
  version: string;
  /** The platform version (Huawei VRP 5.170, H3C Comware 7.1.070), when different from `version`. */
  platform?: string;
}

export function parseFirmware(sysDescr: string | null | undefined): Firmware | null {
  if (!sysDescr) return null;
  const d = sysDescr.replace(/\s+/g, ' ');
  // Huawei: "VRP (R) software, Version 5.170 (S5720 V200R011C10SPC500)"
  const vrp = /\bVRP \(R\) software, Version ([\d.]+) \((?:[^\s)]+ )?(V\d{3}R\d{3}[A-Z0-9]*)\)/i.exec(d);
  if (vrp) return { vendor: 'huawei', os: 'VRP', version: vrp[2]!, platform: vrp[1]! };
  const vrpOnly = /\bVRP\b.*?Version ([\d.]+)/i.exec(d);
  if (vrpOnly) return { vendor: 'huawei', os: 'VRP', version: vrpOnly[1]! };
  // H3C: "H3C Comware Platform Software, Software Version 7.1.070, Release 6616 …"
  const cw = /\bComware\b.*?Software Version ([\d.]+)(?:, (?:ESS |Feature |)?Release ([0-9A-Z]+))?/i.exec(d);
  if (cw) return { vendor: 'h3c', os: 'Comware', version: cw[2] ?? cw[1]!, ...(cw[2] ? { platform: cw[1]! } : {}) };
  // Ruijie: "Ruijie Networks RG-S2910-24GT4XS-E, RGOS 11.4(1)B70P2" or "(RGOS 10.4(3b19)p2)"
  const rg = /\bRGOS[ ,]*(?:Version )?(\d[\w.()]*[\w)])/i.exec(d);
  if (rg) return { vendor: 'ruijie', os: 'RGOS', version: balanced(rg[1]!) };
  // Cisco: "Cisco IOS Software, C3750 Software (C3750-IPSERVICESK9-M), Version 12.2(55)SE10, RELEASE …"
  const ios = /\bCisco IOS\b/i.test(d) ? /\bVersion ([\w.()]+)/.exec(d) : null;
  if (ios) return { vendor: 'cisco', os: /IOS[- ]?XE/i.test(d) ? 'IOS-XE' : 'IOS', version: ios[1]! };
  return null;
}

/** Drop closing parentheses that close something outside the version ("(RGOS 10.4(3b19)p2)"). */
function balanced(v: string): string {
  let out = v;
  while (out.endsWith(')') && (out.match(/\)/g)?.length ?? 0) > (out.match(/\(/g)?.length ?? 0)) out = out.slice(0, -1);
  return out;
}
