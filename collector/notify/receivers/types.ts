import type { LabelSet } from '../../core/component.js';
import type { ReceiverConfig } from '../config.js';
import type { AlertCore } from '../../alerts/types.js';

/** One alert inside a notification (what was true when the group was flushed). */
export interface NotifiedAlert extends AlertCore {
  status: 'firing' | 'resolved';
  /** Resolved: when; firing: 0. */
  endsAt: number;
  claimedBy?: string;
  ackedBy?: string;
}

/** What the outbox stores and a receiver delivers: one message about one group (or one escalation). */
export interface Notification {
  receiver: string;
  groupKey: string;
  groupLabels: LabelSet;
  status: 'firing' | 'resolved';
  /** Firing first, then resolved; each by startsAt. */
  alerts: NotifiedAlert[];
  /** Set on an escalation: the step (1-based) and how long the alert went unclaimed. */
  escalation?: { step: number; unclaimedMs: number };
  createdAt: number;
}

export interface DeliveryContext {
  /** Outbox id: stable across retries (an idempotency key for the receiving side). */
  id: number;
  now: number;
  signal: AbortSignal;
}

/** A delivery failure; `retryable` false gives the notification up (wrong secret, malformed request). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

export interface Receiver {
  readonly name: string;
  readonly type: string;
  /** Messages per rolling minute; 0: unlimited. */
  readonly rateLimitPerMinute: number;
  /** Messages per rolling second; 0 or absent: unlimited (Feishu: 5). */
  readonly rateLimitPerSecond?: number;
  readonly sendResolved: boolean;
  send(n: Notification, ctx: DeliveryContext): Promise<void>;
  close?(): void | Promise<void>;
}

export interface ReceiverEnv {
  externalURL: string;
  timezone: string;
  /** Config key of this receiver, e.g. `notify.receivers.2`, for errors. */
  key: string;
  /** The inline value or the file's content (trimmed); throws a ConfigError naming the key. */
  secret(inline: string | undefined, file: string | undefined, name: string): string | undefined;
  /** Reads a non-secret file (CA bundle). */
  readFile(path: string, name: string): string;
  /** Throw a ConfigError for this receiver's `name` key. */
  fail(name: string, expected: string): never;
}

export type ReceiverFactory = (cfg: ReceiverConfig, env: ReceiverEnv) => Receiver;
