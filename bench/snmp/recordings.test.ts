import { describe, expect, it } from 'vitest';
import { interfacesOf, resizeRecording } from './recordings.js';

// a tiny recording: sysUpTime, ifNumber, ifTable (ifIndex, ifDescr, ifInOctets), ifXTable (ifName as
// text and as hex, ifHCInOctets), and a row of another table indexed by ifIndex, which stays as it is
const REC = [
  '1.3.6.1.2.1.1.3.0|67|100',
  '1.3.6.1.2.1.2.1.0|2|3',
  '1.3.6.1.2.1.2.2.1.1.1|2|1',
  '1.3.6.1.2.1.2.2.1.1.2|2|2',
  '1.3.6.1.2.1.2.2.1.1.10|2|10',
  '1.3.6.1.2.1.2.2.1.2.1|4|Gi1',
  '1.3.6.1.2.1.2.2.1.2.2|4|Gi2',
  '1.3.6.1.2.1.2.2.1.2.10|4|Vl10',
  '1.3.6.1.2.1.2.2.1.10.1|65|11',
  '1.3.6.1.2.1.2.2.1.10.2|65|22',
  '1.3.6.1.2.1.2.2.1.10.10|65|33',
  '1.3.6.1.2.1.31.1.1.1.1.1|4|Gi1',
  '1.3.6.1.2.1.31.1.1.1.1.2|4x|476932',
  '1.3.6.1.2.1.31.1.1.1.1.10|4|Vl10',
  '1.3.6.1.2.1.31.1.1.1.6.1|70|1000',
  '1.3.6.1.2.1.31.1.1.1.6.10|70|3000',
  '1.3.6.1.2.1.31.1.3.1.3.1.2|2|1',
  '',
].join('\n');

describe('resizeRecording', () => {
  it('finds the recorded interfaces in numeric order', () => {
    expect(interfacesOf(REC)).toEqual([1, 2, 10]);
  });

  it('fewer interfaces: the rows of the first N ifIndexes, ifNumber N, the rest untouched', () => {
    expect(resizeRecording(REC, 2)).toBe(
      [
        '1.3.6.1.2.1.1.3.0|67|100',
        '1.3.6.1.2.1.2.1.0|2|2',
        '1.3.6.1.2.1.2.2.1.1.1|2|1',
        '1.3.6.1.2.1.2.2.1.1.2|2|2',
        '1.3.6.1.2.1.2.2.1.2.1|4|Gi1',
        '1.3.6.1.2.1.2.2.1.2.2|4|Gi2',
        '1.3.6.1.2.1.2.2.1.10.1|65|11',
        '1.3.6.1.2.1.2.2.1.10.2|65|22',
        '1.3.6.1.2.1.31.1.1.1.1.1|4|Gi1',
        '1.3.6.1.2.1.31.1.1.1.1.2|4x|476932',
        '1.3.6.1.2.1.31.1.1.1.6.1|70|1000',
        '1.3.6.1.2.1.31.1.3.1.3.1.2|2|1',
        '',
      ].join('\n'),
    );
  });

  it('more interfaces: copies at ifIndex k × 100 + ifIndex, names suffixed /k, numeric OID order, the last copy partial', () => {
    const out = resizeRecording(REC, 5);
    expect(interfacesOf(out)).toEqual([1, 2, 10, 101, 102]);
    const lines = out.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('1.3.6.1.2.1.2.2.1.1.'))).toEqual([
      '1.3.6.1.2.1.2.2.1.1.1|2|1',
      '1.3.6.1.2.1.2.2.1.1.2|2|2',
      '1.3.6.1.2.1.2.2.1.1.10|2|10',
      '1.3.6.1.2.1.2.2.1.1.101|2|101',
      '1.3.6.1.2.1.2.2.1.1.102|2|102',
    ]);
    expect(lines.filter((l) => l.startsWith('1.3.6.1.2.1.31.1.1.1.1.'))).toEqual([
      '1.3.6.1.2.1.31.1.1.1.1.1|4|Gi1',
      '1.3.6.1.2.1.31.1.1.1.1.2|4x|476932',
      '1.3.6.1.2.1.31.1.1.1.1.10|4|Vl10',
      '1.3.6.1.2.1.31.1.1.1.1.101|4|Gi1/1',
      `1.3.6.1.2.1.31.1.1.1.1.102|4x|476932${Buffer.from('/1').toString('hex')}`,
    ]);
    expect(lines).toContain('1.3.6.1.2.1.2.2.1.2.102|4|Gi2/1');
    expect(lines).toContain('1.3.6.1.2.1.2.2.1.10.102|65|22');
    expect(lines).toContain('1.3.6.1.2.1.2.1.0|2|5');
    // ifTable column 2 (ifDescr) sorts before column 10, the ifXTable after ifTable
    expect(lines.indexOf('1.3.6.1.2.1.2.2.1.2.102|4|Gi2/1')).toBeLessThan(lines.indexOf('1.3.6.1.2.1.2.2.1.10.1|65|11'));
    expect(lines.at(-1)).toBe('1.3.6.1.2.1.31.1.3.1.3.1.2|2|1');
    expect(resizeRecording(REC, 5)).toBe(out);
  });

  it.each([0, -1, 2.5])('refuses %d interfaces', (n) => {
    expect(() => resizeRecording(REC, n)).toThrow(/positive integer/);
  });

  it('refuses a recording without ifTable', () => {
    expect(() => resizeRecording('1.3.6.1.2.1.1.3.0|67|100\n', 3)).toThrow(/no ifTable rows/);
  });
});
