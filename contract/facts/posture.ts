/**
 * Facts schema for host security posture (group `host.posture`), version 1. See README.md here for
 * every fact id, its value and the MLPS 2.0 clause it serves.
 */
export const POSTURE_SCHEMA_VERSION = 1 as const;

export interface Evidence {
  /** A file path (as on the host) or a command line. */
  source: string;
  /** 1-based line number in the file, when the evidence is a line. */
  line?: number;
  /** The relevant text, at most a few lines. */
  excerpt: string;
}

/** `ok`: the value was read; `unknown`: it could not be (see `reason`) — never a guess. */
export interface Fact<T = unknown> {
  status: 'ok' | 'unknown';
  value: T | null;
  evidence: Evidence[];
  reason?: string;
}

/** What the agent sends as the `host.posture` facts group (no time stamp: unchanged facts are not re-sent). */
export interface PostureFactsWire {
  schemaVersion: typeof POSTURE_SCHEMA_VERSION;
  /** The root the files were read under ("/" for the live host). */
  root: string;
  /** Whether live-system commands and /proc of the running host were used. */
  live: boolean;
  facts: Record<string, Fact>;
}

/** A collection as `xunjian facts` prints it: the wire object plus when it was collected. */
export interface PostureFacts extends PostureFactsWire {
  collectedAt: string;
}

// value schemas (the value of an `ok` fact; `unknown` facts have value null)
const nul = { type: 'null' } as const;
const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const num = { type: 'number' } as const;
const bool = { type: 'boolean' } as const;
const strs = { type: 'array', items: str } as const;
const or = (...s: object[]) => ({ anyOf: s });
const obj = (props: Record<string, object>, required: string[] = Object.keys(props)) => ({
  type: 'object',
  required,
  additionalProperties: false,
  properties: props,
});
const firewall = obj(
  {
    tool: or(nul, { enum: ['ufw', 'nftables', 'iptables', 'firewalld'] }),
    active: bool,
    inputPolicy: or(nul, { enum: ['accept', 'drop', 'reject'] }),
    stateful: bool,
    sshRestricted: bool,
    rules: int,
    zone: str,
  },
  ['tool', 'active', 'inputPolicy', 'stateful', 'sshRestricted'],
);
const unitState = {
  enum: ['active', 'inactive', 'failed', 'activating', 'deactivating', 'reloading', 'enabled', 'disabled', 'installed', 'not_installed'],
} as const;

/** Every fact id the posture source produces, with the schema of its `ok` value. */
export const POSTURE_FACT_VALUES = {
  'accounts.defaultUnlocked': strs,
  'accounts.duplicateUids': { type: 'array', items: obj({ uid: int, users: strs }) },
  'accounts.emptyPasswords': strs,
  'accounts.expiry': { type: 'array', items: obj({ user: str, lastChange: or(nul, str), inactiveDays: or(nul, int), expireDate: or(nul, str) }) },
  'accounts.passwordAging': { type: 'array', items: obj({ user: str, minDays: or(nul, int), maxDays: or(nul, int), warnDays: or(nul, int) }) },
  'accounts.systemWithShell': strs,
  'accounts.uid0': strs,
  'audit.auditd': unitState,
  'audit.rules': obj({ count: int, identity: bool, sudoers: bool, logins: bool, deletions: bool, immutable: bool, source: str }),
  'backup.jobs': strs,
  'boot.secureBoot': bool,
  'files.permissions': { type: 'object', additionalProperties: or(nul, obj({ mode: { type: 'string', pattern: '^[0-7]{4}$' }, uid: int, gid: int })) },
  'files.umask': or(nul, { type: 'string', pattern: '^[0-7]{4}$' }),
  'firewall.input': firewall,
  'firewall.input6': firewall,
  'log.fileModes': { type: 'object', additionalProperties: or(nul, { type: 'string', pattern: '^[0-7]{4}$' }) },
  'log.journald': unitState,
  'log.journaldRetention': obj({ storage: str, persistent: bool, maxRetentionSec: or(nul, int), systemMaxUse: or(nul, str) }),
  'log.remoteTargets': strs,
  'log.retentionDays': or(nul, num),
  'log.rsyslog': unitState,
  'mac.apparmor': { enum: ['enabled', 'disabled', 'absent'] },
  'mac.selinux': { enum: ['enforcing', 'permissive', 'disabled', 'absent'] },
  'net.highRiskPorts': strs,
  'net.hostsAccess': obj({ allow: strs, deny: strs }),
  'net.listening': {
    type: 'array',
    items: obj({ proto: { enum: ['tcp', 'udp'] }, family: { enum: [4, 6] }, address: str, port: int, process: str }, ['proto', 'family', 'address', 'port']),
  },
  'os.release': obj({
    id: str,
    name: or(nul, str),
    version: or(nul, str),
    prettyName: or(nul, str),
    family: { enum: ['debian', 'rhel', 'other'] },
    kernel: or(nul, str),
    arch: or(nul, str),
  }),
  'packages.insecure': strs,
  'password.historyRemember': or(nul, int),
  'password.lockout': or(nul, obj({ module: { enum: ['pam_faillock', 'pam_tally2'] }, deny: or(nul, int), unlockTime: or(nul, int), evenDenyRoot: bool })),
  'password.maxDays': or(nul, int),
  'password.minDays': or(nul, int),
  'password.nullok': strs,
  'password.quality': or(nul, {
    type: 'object',
    required: ['module'],
    additionalProperties: false,
    properties: { module: { enum: ['pam_pwquality', 'pam_cracklib'] }, minlen: num, minclass: num, dcredit: num, ucredit: num, lcredit: num, ocredit: num },
  }),
  'password.warnAge': or(nul, int),
  'security.agents': strs,
  'security.clamavSignatureAgeDays': or(nul, int),
  'session.tmout': or(nul, int),
  'ssh.allowGroups': or(nul, strs),
  'ssh.allowUsers': or(nul, strs),
  'ssh.authenticationMethods': or(nul, str),
  'ssh.ciphers': or(nul, strs),
  'ssh.clientAliveSeconds': or(nul, int),
  'ssh.denyGroups': or(nul, strs),
  'ssh.denyUsers': or(nul, strs),
  'ssh.kexAlgorithms': or(nul, strs),
  'ssh.macs': or(nul, strs),
  'ssh.maxAuthTries': or(nul, int),
  'ssh.passwordAuthentication': or(nul, str),
  'ssh.permitRootLogin': or(nul, str),
  'ssh.protocol': or(nul, str),
  'ssh.running': obj({ running: bool, listening: strs }),
  'ssh.secondFactor': strs,
  'ssh.weakAlgorithms': strs,
  'su.wheelRestricted': bool,
  'sudo.broadGrants': strs,
  'sudo.nopasswd': strs,
  'time.sync': obj({ daemon: or(nul, { enum: ['chrony', 'ntpd', 'timesyncd'] }), servers: strs, synchronized: or(nul, bool), offsetSeconds: or(nul, num) }),
  'trust.ima': bool,
  'trust.tpm': bool,
  'updates.pendingSecurity': int,
} as const;

export type PostureFactId = keyof typeof POSTURE_FACT_VALUES;
export const POSTURE_FACT_IDS = Object.keys(POSTURE_FACT_VALUES).sort() as PostureFactId[];
/**
 * Facts added after the first v1 agents shipped: the agent always sends them, the schema does not
 * require them (an older agent's report stays valid; the MLPS engine reports a check needing one as
 * unknown).
 */
export const POSTURE_OPTIONAL_FACT_IDS: readonly PostureFactId[] = ['password.nullok'];
/** The fact ids a `host.posture` v1 group must carry. */
export const POSTURE_REQUIRED_FACT_IDS = POSTURE_FACT_IDS.filter((id) => !POSTURE_OPTIONAL_FACT_IDS.includes(id));

const evidence = {
  type: 'object',
  required: ['source', 'excerpt'],
  additionalProperties: false,
  properties: { source: { type: 'string' }, line: { type: 'integer', minimum: 1 }, excerpt: { type: 'string', maxLength: 4096 } },
} as const;

const fact = (value: object) => ({
  type: 'object',
  required: ['status', 'value', 'evidence'],
  additionalProperties: false,
  properties: {
    status: { enum: ['ok', 'unknown'] },
    value,
    evidence: { type: 'array', items: evidence },
    reason: { type: 'string' },
  },
  if: { properties: { status: { const: 'unknown' } } },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema if/then keyword
  then: { required: ['reason'], properties: { value: { const: null }, reason: { type: 'string', minLength: 1 } } },
  else: { properties: { reason: false } },
});

/**
 * JSON Schema of the `host.posture` group as sent (`PostureFactsWire`); `collectedAt` is allowed
 * (`xunjian facts --json` adds it) but not required. Every fact id is required; an `ok` fact's value
 * must match its value schema (an `unknown` fact's value is null). Fact ids not listed here (from a
 * newer agent) are allowed with any value, so adding a fact is compatible.
 */
export const postureSchemaV1 = {
  $id: 'https://xunjian.invalid/contract/facts/host-posture-v1.json',
  type: 'object',
  required: ['schemaVersion', 'root', 'live', 'facts'],
  additionalProperties: false,
  properties: {
    schemaVersion: { const: POSTURE_SCHEMA_VERSION },
    collectedAt: { type: 'string' },
    root: { type: 'string' },
    live: { type: 'boolean' },
    facts: {
      type: 'object',
      required: POSTURE_REQUIRED_FACT_IDS,
      propertyNames: { pattern: '^[a-z][a-zA-Z0-9]*(\\.[a-z][a-zA-Z0-9]*)+$' },
      properties: Object.fromEntries(POSTURE_FACT_IDS.map((id) => [id, fact(or(nul, POSTURE_FACT_VALUES[id]))])),
      additionalProperties: fact({}),
    },
  },
} as const;
