import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STREAM_ID } from '../../contract/schema.js';
import { createLogger } from '../../lib/log.js';
import { SeqState, newStreamId, parseSeqState } from './state.js';

const lines: string[] = [];
const log = createLogger({ level: 'debug', write: (l) => lines.push(l) });
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'xj-seq-'));
  lines.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const file = () => join(dir, 'seq.json');
const saved = () => JSON.parse(readFileSync(file(), 'utf8')) as { seq: number; stream: string };
let n = 0;
const ids = () => `stream-${String(++n).padStart(4, '0')}`;

describe('parseSeqState', () => {
  it.each([
    ['{"seq":7,"stream":"AAAAAAAAAAAAAAAAAAAAAA"}', { ok: true, seq: 7, stream: 'AAAAAAAAAAAAAAAAAAAAAA' }],
    ['{"seq":7}', { ok: true, seq: 7 }],
    ['{"seq":7,"stream":"no spaces allowed"}', { ok: true, seq: 7 }],
    ['{"seq":0,"stream":"abcdefgh"}', { ok: true, seq: 0, stream: 'abcdefgh' }],
    ['', { ok: false, reason: 'empty file' }],
    ['  \n', { ok: false, reason: 'empty file' }],
    ['[1]', { ok: false, reason: 'not a JSON object' }],
    ['{"seq":-1}', { ok: false, reason: 'seq is -1, expected an integer ≥ 0' }],
    ['{"seq":"7"}', { ok: false, reason: 'seq is "7", expected an integer ≥ 0' }],
    ['{}', { ok: false, reason: 'seq is missing, expected an integer ≥ 0' }],
  ])('%j', (text, expected) => expect(parseSeqState(text)).toEqual(expected));
  it('garbage is not JSON', () => {
    const r = parseSeqState('{"seq":12');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/^not JSON: /);
  });
});

describe('stream ids', () => {
  it('16 random bytes in base64url, valid for the contract, never twice the same', () => {
    const a = newStreamId();
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(16);
    expect(new RegExp(STREAM_ID).test(a)).toBe(true);
    expect(new Set(Array.from({ length: 100 }, newStreamId)).size).toBe(100);
  });
});

describe('SeqState (files in a temp dir)', () => {
  it('a new data directory makes a stream and persists it with the seq; reopening keeps both', () => {
    const s = new SeqState(dir, { newStream: ids });
    expect(s.current).toBe(0);
    expect(s.recreated).toBe('missing');
    expect(saved()).toEqual({ seq: 0, stream: s.stream });
    s.advanceTo(3);
    s.advanceTo(2); // never backwards
    expect(saved()).toEqual({ seq: 3, stream: s.stream });
    const r = new SeqState(dir, { newStream: ids });
    expect(r.stream).toBe(s.stream);
    expect(r.current).toBe(3);
    expect(r.recreated).toBeUndefined();
  });

  it('a reset data directory (seq.json gone) makes a new stream; the seq resumes after the spool floor', () => {
    const a = new SeqState(dir, { newStream: ids });
    a.advanceTo(9);
    rmSync(file());
    const b = new SeqState(dir, { newStream: ids, floor: 9, log });
    expect(b.stream).not.toBe(a.stream);
    expect(b.current).toBe(9);
    expect(lines.join('')).toContain('seq state missing');
  });

  it.each([
    ['empty', ''],
    ['garbled', '{"seq": 4'],
    ['wrong type', '{"seq": "x"}'],
  ])('%s seq.json: moved aside, the sequence resumes after the floor under a new stream, logged with the path', (_n, text) => {
    writeFileSync(file(), text);
    const s = new SeqState(dir, { newStream: ids, floor: 41, log, now: () => 1234 });
    expect(s.current).toBe(41);
    expect(saved()).toEqual({ seq: 41, stream: s.stream });
    expect(readFileSync(join(dir, 'seq.json.damaged-1234'), 'utf8')).toBe(text);
    const logged = lines.join('');
    expect(logged).toContain('seq state damaged: moved aside');
    expect(logged).toContain(file());
  });

  it('seq.json that is a directory: moved aside too, never a reason not to start', () => {
    mkdirSync(file());
    const s = new SeqState(dir, { newStream: ids, floor: 5, log, now: () => 99 });
    expect(s.current).toBe(5);
    expect(s.recreated).toBe('unreadable: EISDIR');
    expect(existsSync(join(dir, 'seq.json.damaged-99'))).toBe(true);
    expect(saved().seq).toBe(5);
  });

  it('seq.json of an older agent (no stream): keeps the seq, adds a stream', () => {
    writeFileSync(file(), '{"seq":17}');
    const s = new SeqState(dir, { newStream: ids, floor: 3 });
    expect(s.current).toBe(17);
    expect(saved()).toEqual({ seq: 17, stream: s.stream });
    expect(readdirSync(dir)).toEqual(['seq.json']);
  });
});
