import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { STREAM_ID } from '../../contract/schema.js';
import { writeFileAtomic } from '../../lib/fs.js';
import type { Logger } from '../../lib/log.js';

/** A new report stream id: 16 random bytes, base64url (22 characters). */
export function newStreamId(): string {
  return randomBytes(16).toString('base64url');
}

const STREAM_RE = new RegExp(STREAM_ID);

export type ParsedSeqState = { ok: true; seq: number; stream?: string } | { ok: false; reason: string };

/** Parse the content of seq.json (pure). A valid seq without a (valid) stream keeps the seq. */
export function parseSeqState(text: string): ParsedSeqState {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: text.trim() === '' ? 'empty file' : `not JSON: ${(err as Error).message}` };
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { ok: false, reason: 'not a JSON object' };
  const o = v as { seq?: unknown; stream?: unknown };
  if (typeof o.seq !== 'number' || !Number.isSafeInteger(o.seq) || o.seq < 0)
    return { ok: false, reason: `seq is ${JSON.stringify(o.seq) ?? 'missing'}, expected an integer ≥ 0` };
  return typeof o.stream === 'string' && STREAM_RE.test(o.stream) ? { ok: true, seq: o.seq, stream: o.stream } : { ok: true, seq: o.seq };
}

export interface SeqStateOptions {
  log?: Logger;
  /**
   * The highest seq known elsewhere (the spool's files, cursors and drops): where the sequence goes on
   * when seq.json is missing or damaged, so no seq a collector holds is reused.
   */
  floor?: number;
  /** Injectable for tests. */
  newStream?: () => string;
  now?: () => number;
}

/**
 * The agent's report sequence and its stream id, persisted in `dataDir/seq.json` as
 * `{"seq": N, "stream": "..."}`. The seq is persisted once the report carrying it is spooled, so it never
 * goes backwards. The stream id names this sequence: it is made when the seq state is (re)created — a
 * new data directory, or a seq.json that cannot be read — and kept as long as seq.json is intact.
 * A damaged seq.json never stops the agent: it is moved aside (`seq.json.damaged-<ms>`), the sequence
 * resumes after `floor` under a new stream, and the log says so.
 */
export class SeqState {
  readonly path: string;
  private last: number;
  private streamId: string;
  /** Why the state was (re)created at start, when it was; undefined when seq.json was intact. */
  readonly recreated: string | undefined;

  constructor(dataDir: string, o: SeqStateOptions = {}) {
    this.path = join(dataDir, 'seq.json');
    const floor = o.floor ?? 0;
    const make = o.newStream ?? newStreamId;
    let text: string | undefined;
    let why: string | undefined;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      why = code === 'ENOENT' ? 'missing' : `unreadable: ${code ?? (err as Error).message}`;
    }
    const parsed: ParsedSeqState = text === undefined ? { ok: false, reason: why! } : parseSeqState(text);
    if (parsed.ok) {
      this.last = Math.max(parsed.seq, floor);
      this.streamId = parsed.stream ?? make();
      this.recreated = parsed.stream ? undefined : 'no stream id (written by an older agent)';
      if (!parsed.stream) this.save();
      return;
    }
    this.last = floor;
    this.streamId = make();
    this.recreated = parsed.reason;
    if (parsed.reason !== 'missing') {
      const aside = `${this.path}.damaged-${(o.now ?? Date.now)()}`;
      try {
        renameSync(this.path, aside);
      } catch (err) {
        throw new Error(
          `${this.path} is damaged (${parsed.reason}) and cannot be moved aside to ${aside}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
      o.log?.error('seq state damaged: moved aside; the sequence resumes after the highest seq the spool knows, under a new stream id', {
        file: this.path,
        reason: parsed.reason,
        movedTo: aside,
        resumeAfter: floor,
      });
    } else if (floor > 0) {
      o.log?.warn('seq state missing: the sequence resumes after the highest seq the spool knows, under a new stream id', {
        file: this.path,
        resumeAfter: floor,
      });
    }
    this.save();
  }

  private save(): void {
    writeFileAtomic(this.path, JSON.stringify({ seq: this.last, stream: this.streamId }));
  }

  /** Persist `seq` as used (after the report carrying it was spooled); never goes backwards. */
  advanceTo(seq: number): void {
    if (seq <= this.last) return;
    const prev = this.last;
    this.last = seq;
    try {
      this.save();
    } catch (err) {
      this.last = prev;
      throw err;
    }
  }

  get current(): number {
    return this.last;
  }

  get stream(): string {
    return this.streamId;
  }
}
