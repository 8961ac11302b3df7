import type { LabelSet } from '../core/component.js';

/** Who did what to an alert, when. */
export interface Disposal {
  by: string;
  at: number;
  comment: string;
}

/** An alert as alerts/ keeps it and hands it to notify/. Times in ms. */
export interface AlertView {
  fingerprint: string;
  labels: LabelSet;
  annotations: LabelSet;
  startsAt: number;
  /** Firing: until when it is valid without a re-send; resolved: when it resolved. */
  endsAt: number;
  generatorURL: string;
  value?: number;
  status: 'firing' | 'resolved';
  /** Last time the rules sent it (ms). */
  updatedAt: number;
  /** Ids of the silences muting it (empty: not silenced). */
  silencedBy: string[];
  claim?: Disposal;
  ack?: Disposal;
}
