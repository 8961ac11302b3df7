import type { IncomingHttpHeaders } from 'node:http';

/**
 * API roles, each including the rights of those before it: viewer (read fleet state) < operator
 * (claim/ack/silence) < security (MLPS results, facts, reports, audit) < admin (tokens, reload).
 */
export const ROLES = ['viewer', 'operator', 'security', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** `public`: no token (only /healthz); `node`: the agents' signed ingest; otherwise the least role. */
export type Access = 'public' | 'node' | Role;

export interface Actor {
  /** The API token's name (or `node:<id>` for agents). */
  name: string;
  role: Role;
  tokenId: number;
}

export interface ApiRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body of POST/PUT/DELETE routes (undefined when empty). */
  body: unknown;
  /** Set on every non-public route. */
  actor?: Actor;
  /** Peer address, for the audit log. */
  remote: string;
}

export interface ApiResponse {
  status: number;
  /** JSON-serialised unless a string (sent as text with `contentType`) or a Buffer (sent as is, `contentType` default text/plain). */
  body: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** find-my-way syntax: `/api/v1/nodes/:id/facts`. */
  path: string;
  access: Access;
  /** Largest body accepted, bytes (default 64 KiB for JSON routes). */
  bodyLimit?: number;
  handler(req: ApiRequest): ApiResponse | Promise<ApiResponse>;
}

/** Throw from a handler for a 4xx with a JSON `{error, message}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const json = (body: unknown, status = 200): ApiResponse => ({ status, body });
