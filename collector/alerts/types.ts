import type { LabelSet } from '../core/component.js';

/** Who did what to an alert, when. */
export interface Disposal {
  by: string;
  at: number;
  comment: string;
}

/** What every form of an alert shares (stored, viewed, notified). Times in ms. */
export interface AlertCore {
  fingerprint: string;
  labels: LabelSet;
  annotations: LabelSet;
  startsAt: number;
  endsAt: number;
  generatorURL: string;
  value?: number;
}

/** An alert as alerts/ keeps it and hands it to notify/. `endsAt`, firing: until when it is valid without a re-send; resolved: when it resolved. */
export interface AlertView extends AlertCore {
  status: 'firing' | 'resolved';
  /** Last time the rules sent it (ms). */
  updatedAt: number;
  /** Ids of the silences muting it (empty: not silenced). */
  silencedBy: string[];
  claim?: Disposal;
  ack?: Disposal;
}
