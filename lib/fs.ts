import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { renameSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Write a file so that a crash leaves either the old or the new content: temp file (mode 0600), fsync,
 * rename, fsync of the directory. A missing parent directory is created private (0700).
 */
export function writeFileAtomic(path: string, data: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
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

/**
 * Create a private directory (0700, parents too). An existing directory keeps its mode; the caller gets
 * it back when group or others may read it (to warn: state and spool hold what the node reports).
 */
export function ensurePrivateDir(path: string): { openMode?: number } {
  const created = mkdirSync(path, { recursive: true, mode: 0o700 });
  if (created !== undefined) {
    // mkdir's mode is masked by the umask; make sure of 0700 on what we created
    chmodSync(path, 0o700);
    return {};
  }
  const mode = statSync(path).mode & 0o777;
  return mode & 0o077 ? { openMode: mode } : {};
}

/** Whether a file's mode lets group or others read it (a secret there is exposed). */
export function readableByOthers(mode: number): boolean {
  return (mode & 0o044) !== 0;
}
