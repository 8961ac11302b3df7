import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Write a file so that a crash leaves either the old or the new content: temp file, fsync, rename, fsync dir. */
export function writeFileAtomic(path: string, data: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dfd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

/** The agent's per-node report sequence, persisted before each use so it never goes backwards. */
export class SeqState {
  private readonly path: string;
  private last: number;
  constructor(dataDir: string) {
    this.path = join(dataDir, 'seq.json');
    this.last = 0;
    try {
      const v = JSON.parse(readFileSync(this.path, 'utf8')) as { seq?: unknown };
      if (typeof v.seq === 'number' && Number.isSafeInteger(v.seq) && v.seq >= 0) this.last = v.seq;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${this.path}: ${(err as Error).message}`);
    }
  }
  next(): number {
    const seq = this.last + 1;
    writeFileAtomic(this.path, JSON.stringify({ seq }));
    this.last = seq;
    return seq;
  }
  /** Persist `seq` as used (after the report carrying it was spooled); never goes backwards. */
  advanceTo(seq: number): void {
    if (seq <= this.last) return;
    writeFileAtomic(this.path, JSON.stringify({ seq }));
    this.last = seq;
  }
  get current(): number {
    return this.last;
  }
}
