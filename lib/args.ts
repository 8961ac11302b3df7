import { InvalidArgumentError } from 'commander';

/**
 * A numeric command-line option within [min, max] (min excluded when `openMin`), whole when
 * `integer`; anything else is a usage error naming the expected range. Commands use the same bounds
 * as the config schema of the setting they override.
 */
export function bounded(v: string, min: number, max: number, integer = false, openMin = false): number {
  const n = Number(v);
  const ok = v.trim() !== '' && Number.isFinite(n) && (!integer || Number.isInteger(n)) && (openMin ? n > min : n >= min) && n <= max;
  if (!ok) throw new InvalidArgumentError(`expected ${integer ? 'a whole number' : 'a number'} ${openMin ? `above ${min}` : `from ${min}`} up to ${max}`);
  return n;
}
