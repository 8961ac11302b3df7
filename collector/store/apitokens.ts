import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { tokenDigest } from '../../contract/sign.js';
import { ROLES, type Role } from '../api/types.js';

export interface ApiTokenRow {
  id: number;
  name: string;
  role: Role;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export const API_TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** API tokens (`xja_…`) with a role; only their SHA-256 is stored, the token is shown once. */
export class ApiTokens {
  private readonly q;
  constructor(private readonly db: Database.Database) {
    this.q = {
      byDigest: db.prepare<[Buffer], Record<string, unknown>>('SELECT * FROM api_tokens WHERE digest = ? AND revoked_at IS NULL'),
      used: db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)'),
    };
  }

  create(name: string, role: Role, now = Date.now()): { token: string; id: number } {
    if (!API_TOKEN_NAME.test(name)) throw new Error(`invalid token name '${name}': letters, digits, '.', '_', '@', '-' (max 64)`);
    if (!ROLES.includes(role)) throw new Error(`invalid role '${role}': one of ${ROLES.join(', ')}`);
    const token = `xja_${randomBytes(32).toString('base64url')}`;
    const id = Number(
      this.db.prepare('INSERT INTO api_tokens (name, role, digest, created_at) VALUES (?, ?, ?, ?)').run(name, role, tokenDigest(token), now).lastInsertRowid,
    );
    return { token, id };
  }

  /** The active token's row, or undefined. Records last use at most once a minute. */
  verify(token: string, now = Date.now()): ApiTokenRow | undefined {
    if (!token.startsWith('xja_')) return undefined;
    const r = this.q.byDigest.get(tokenDigest(token));
    if (!r) return undefined;
    this.q.used.run(now, r.id, now - 60_000);
    return row(r);
  }

  list(): ApiTokenRow[] {
    return (this.db.prepare('SELECT * FROM api_tokens ORDER BY name, id').all() as Record<string, unknown>[]).map(row);
  }

  /** Revoke every active token of `name`; returns how many. */
  revoke(name: string, now = Date.now()): number {
    return this.db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL').run(now, name).changes;
  }
}

const row = (r: Record<string, unknown>): ApiTokenRow => ({
  id: r.id as number,
  name: r.name as string,
  role: r.role as Role,
  createdAt: r.created_at as number,
  revokedAt: (r.revoked_at as number | null) ?? null,
  lastUsedAt: (r.last_used_at as number | null) ?? null,
});
