/** Which Redis persistence settings keep an acknowledged event through a Redis crash, and stream id order. */
import { describe, expect, it } from 'vitest';
import { judgeDurability } from './durability.ts';
import { compareStreamIds, isStreamId } from './stream-ids.ts';
import { appendScriptArgs } from './append-script.ts';
import type { CallCentreEvent } from '../../shared/events.ts';

describe('Redis durability', () => {
  it('is quiet only with the append-only file on and fsync always or every second', () => {
    expect(judgeDurability({ appendonly: 'yes', appendfsync: 'always' }).warning).toBeNull();
    expect(judgeDurability({ appendonly: 'yes', appendfsync: 'everysec' }).warning).toBeNull();
    expect(judgeDurability({ appendonly: 'yes', appendfsync: 'no' }).warning).toMatch(/appendfsync/);
    expect(judgeDurability({ appendonly: 'no', appendfsync: 'always' }).warning).toMatch(/appendonly yes/);
    expect(judgeDurability({}).warning).toMatch(/cannot read/);
  });
});

describe('stream ids', () => {
  it('compare as numbers, not strings', () => {
    expect(compareStreamIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareStreamIds('10-2', '10-10')).toBeLessThan(0);
    expect(compareStreamIds('10-1', '10-1')).toBe(0);
    expect(compareStreamIds('1796465371905-0', '0-0')).toBeGreaterThan(0);
    expect(isStreamId('12-3')).toBe(true);
    expect(isStreamId('12')).toBe(false);
    expect(isStreamId(null)).toBe(false);
  });
});

describe('the append script arguments', () => {
  it('give each event the id hash of its UTC day, expiring the id window after that day', () => {
    const day = Date.parse('2026-12-01T00:00:00Z');
    const events = [{ id: 'e1', ts: day + 5 }, { id: 'e2', ts: day - 1 }] as unknown as CallCentreEvent[];
    const { keys, arguments: args } = appendScriptArgs('p', events, 'proc:1', null, day, 8);
    expect(keys).toEqual(['p:events', 'p:ids:2026-12-01', 'p:ids:2026-11-30']);
    expect(args.slice(0, 3)).toEqual(['proc:1', '', '2']);
    expect(args[3]).toBe('e1');
    expect(JSON.parse(args[4])).toEqual(events[0]);
    expect(Number(args[5])).toBe(day + 9 * 86_400_000);
    expect(Number(args[8])).toBe(day + 8 * 86_400_000);
  });
});
