// Minimal typings for the parts of net-snmp (no published types) the SNMP source uses.
declare module 'net-snmp' {
  export interface Varbind {
    oid: string;
    type: number;
    value: unknown;
  }
  export interface Session {
    /** Set once SNMPv3 engine discovery has been answered. */
    msgSecurityParameters?: unknown;
    get(oids: string[], cb: (err: Error | null, varbinds: Varbind[]) => void): void;
    getNext(oids: string[], cb: (err: Error | null, varbinds: Varbind[]) => void): void;
    getBulk(oids: string[], nonRepeaters: number, maxRepetitions: number, cb: (err: Error | null, varbinds: Varbind[][]) => void): void;
    subtree(oid: string, maxRepetitions: number, feed: (varbinds: Varbind[]) => boolean | undefined, done: (err: Error | null) => void): void;
    close(): void;
    on(event: 'error', cb: (err: Error) => void): void;
    on(event: 'close', cb: () => void): void;
  }
  export interface SessionOptions {
    port?: number;
    retries?: number;
    timeout?: number;
    transport?: 'udp4' | 'udp6';
    version?: number;
    backoff?: number;
    idBitsSize?: 16 | 32;
  }
  export interface User {
    name: string;
    level: number;
    authProtocol?: string;
    authKey?: string;
    privProtocol?: string;
    privKey?: string;
  }
  export function createSession(target: string, community: string, options?: SessionOptions): Session;
  export function createV3Session(target: string, user: User, options?: SessionOptions): Session;
  export function isVarbindError(v: Varbind): boolean;
  export function varbindError(v: Varbind): string;
  export const Version1: number;
  export const Version2c: number;
  export const Version3: number;
  export const SecurityLevel: { noAuthNoPriv: number; authNoPriv: number; authPriv: number };
  export const AuthProtocols: Record<'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512', string>;
  export const PrivProtocols: Record<'des' | 'aes' | 'aes256b' | 'aes256r', string>;
  export const ObjectType: Record<string, number>;
  const snmp: {
    createSession: typeof createSession;
    createV3Session: typeof createV3Session;
    isVarbindError: typeof isVarbindError;
    Version1: number;
    Version2c: number;
    SecurityLevel: typeof SecurityLevel;
    AuthProtocols: typeof AuthProtocols;
    PrivProtocols: typeof PrivProtocols;
  };
  export default snmp;
}
