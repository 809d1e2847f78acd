import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

const BASE = { DATA_DIR: '/tmp/wallboard-config-test' };

/** The message loading the configuration with `name` set to `value` fails with ('' if it loads). */
function refusalOf(name: string, value: string): string {
  try {
    loadConfig({ ...BASE, [name]: value });
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('HEAP_GROWING_PERCENT (issue 15: bounded memory at 20,000 events/s)', () => {
  it('defaults to 25 % and takes 0 (V8 decides) up to 100', () => {
    expect(loadConfig(BASE).heapGrowingPercent).toBe(25);
    expect(loadConfig({ ...BASE, HEAP_GROWING_PERCENT: '0' }).heapGrowingPercent).toBe(0);
    expect(loadConfig({ ...BASE, HEAP_GROWING_PERCENT: '100' }).heapGrowingPercent).toBe(100);
  });

  it.each(['-1', '101', '12.5', 'lots'])('refuses %s, naming the setting and not echoing the value', (value) => {
    const message = refusalOf('HEAP_GROWING_PERCENT', value);
    expect(message).toMatch(/HEAP_GROWING_PERCENT: /);
    expect(message).not.toContain(value);
  });
});

describe('DUCKDB_MEMORY_MB (issue 15: DuckDB within the 1 GB budget)', () => {
  it('defaults to 128 MB and takes any whole number from 64', () => {
    expect(loadConfig(BASE).duckdbMemoryMb).toBe(128);
    expect(loadConfig({ ...BASE, DUCKDB_MEMORY_MB: '64' }).duckdbMemoryMb).toBe(64);
    expect(loadConfig({ ...BASE, DUCKDB_MEMORY_MB: '4096' }).duckdbMemoryMb).toBe(4096);
  });

  it.each(['63', '0', '-5', '100.5', 'plenty'])('refuses %s, naming the setting and not echoing the value', (value) => {
    const message = refusalOf('DUCKDB_MEMORY_MB', value);
    expect(message).toMatch(/DUCKDB_MEMORY_MB: /);
    expect(message).not.toContain(value);
  });
});
