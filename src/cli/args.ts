import { InvalidArgumentError } from 'commander';

/** Commander argument parsers that reject bad values with a message naming the rule. */

export function positiveInt(name: string) {
  return (raw: string): number => {
    const v = Number(raw);
    if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(v) || v < 1) {
      throw new InvalidArgumentError(`${name} must be a whole number of at least 1, got '${raw}'.`);
    }
    return v;
  };
}

export function positiveNumber(name: string) {
  return (raw: string): number => {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v) || v <= 0) {
      throw new InvalidArgumentError(`${name} must be a number greater than 0, got '${raw}'.`);
    }
    return v;
  };
}

export function seedValue(raw: string): number {
  const v = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(v) || v > 0xffffffff) {
    throw new InvalidArgumentError(`--seed must be a whole number from 0 to 4294967295, got '${raw}'.`);
  }
  return v;
}

export function oneOf<T extends string>(name: string, choices: readonly T[]) {
  return (raw: string): T => {
    if (!(choices as readonly string[]).includes(raw)) {
      throw new InvalidArgumentError(`${name} must be one of ${choices.join(', ')}, got '${raw}'.`);
    }
    return raw as T;
  };
}

/** A comma-separated list, each item parsed by `item`: `--lr 0.1,0.03`. */
export function listOf<T>(item: (raw: string) => T) {
  return (raw: string): T[] => raw.split(',').map((s) => item(s.trim()));
}

export function fraction(name: string) {
  return (raw: string): number => {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v) || v < 0 || v >= 1) {
      throw new InvalidArgumentError(`${name} must be a number from 0 up to (not including) 1, got '${raw}'.`);
    }
    return v;
  };
}
