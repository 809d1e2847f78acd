/**
 * A contact row's `fold` column keeps only what its other columns do not hold (issue 15), and a
 * contact reads back exactly as it was written: with every field set, with few set, and from a
 * row written before, when the column held the whole fold.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ContactRecord } from '../../shared/attribution.ts';
import { newContactFold, type ContactFold } from '../../shared/contact-fold.ts';
import { withRecordStore } from './record-store-fixture.ts';

const NOW = Date.parse('2026-12-05T10:00:00+08:00');
const dir = mkdtempSync(join(tmpdir(), 'stored-fold-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every field of a record set (a field added to ContactRecord fails to compile here until it is given a value). */
const everyField: Required<ContactRecord> = {
  contactId: 'full-1',
  queue: '投诉 queue',
  site: 'north',
  handlingSite: 'south',
  team: 'team "a"',
  agentId: 'agent\\7',
  channel: 'chat',
  customerRef: 'cust-1',
  drill: true,
  offeredTsMs: NOW - 600_000,
  answeredTsMs: NOW - 590_001,
  abandonedTsMs: NOW - 500_000,
  flowedOutTsMs: NOW - 400_000,
  flowOutReason: 'timeout',
  orphanedTsMs: NOW - 300_000,
  transferTsMs: [NOW - 580_000, NOW - 570_000],
  endedTsMs: NOW - 200_000,
  talkSec: 123.456789012345,
  holdSec: 0.1,
  wrappedTsMs: NOW - 100_000,
  resolvedTsMs: NOW - 90_000,
  firstContact: false,
  repeatedLater: true,
  surveyTsMs: NOW - 80_000,
  surveyScore: 9.5,
  surveyScale: 10,
};

function fullFold(): ContactFold {
  return {
    record: structuredClone(everyField),
    explicitTeam: 'team "a"',
    fromOffer: true,
    endedKey: `${NOW - 200_000}|e-3`,
    wrappedKey: `${NOW - 100_000}|e-4`,
    resolvedKey: `${NOW - 90_000}|e-5`,
    surveyKey: `${NOW - 80_000}|e-6`,
  };
}

function fewFields(): ContactFold {
  const fold = newContactFold('few-1');
  // A survey without a scale: the survey_scale column says 5, the record says nothing.
  Object.assign(fold.record, { queue: 'q', site: 's', channel: 'phone', offeredTsMs: NOW - 60_000, surveyTsMs: NOW - 1_000, surveyScore: 4 });
  fold.fromOffer = true;
  return fold;
}

describe("a contact row's fold", () => {
  it('reads back exactly as written, whatever fields are set, and stores only what no column holds', async () => {
    await withRecordStore(dir, 'round-trip.duckdb', NOW, async (records, db) => {
      await records.write([{ fold: fullFold(), team: 'team "a"' }, { fold: fewFields() }], []);
      const read = await records.loadContacts(['full-1', 'few-1']);
      expect(read.get('full-1')?.fold).toStrictEqual(fullFold());
      expect(read.get('full-1')?.team).toBe('team "a"');
      expect(read.get('few-1')?.fold).toStrictEqual(fewFields());
      expect(read.get('few-1')?.team).toBeUndefined();

      const stored = (await db.runAndReadAll("SELECT fold::VARCHAR FROM contacts WHERE contact_id = 'full-1'")).getRows()[0][0] as string;
      const { record, ...merge } = JSON.parse(stored) as ContactFold;
      expect(Object.keys(record).sort()).toEqual(['surveyScale', 'team', 'transferTsMs']);
      expect(merge).toStrictEqual({ explicitTeam: 'team "a"', fromOffer: true, endedKey: `${NOW - 200_000}|e-3`, wrappedKey: `${NOW - 100_000}|e-4`, resolvedKey: `${NOW - 90_000}|e-5`, surveyKey: `${NOW - 80_000}|e-6` });
    });
  }, 60_000);

  it('of a row written whole (before the fold left out its columns) reads back as it was', async () => {
    await withRecordStore(dir, 'whole.duckdb', NOW, async (records, db) => {
      // Written as the store wrote rows before: the whole fold, with the team, in the JSON.
      const old = fullFold();
      old.record.contactId = 'old-1';
      await records.write([{ fold: old, team: 'team "a"' }], []);
      // The columns are written as they were then; the fold column as it was then.
      await db.run("UPDATE contacts SET fold = $1 WHERE contact_id = 'old-1'", [JSON.stringify({ ...old, team: 'team "a"' })]);
      expect((await db.runAndReadAll("SELECT json_extract(fold, '$.record.queue')::VARCHAR FROM contacts")).getRows()).toEqual([['"投诉 queue"']]);
      const read = (await records.loadContacts(['old-1'])).get('old-1');
      expect(read?.fold).toStrictEqual(old);
      expect(read?.team).toBe('team "a"');
    });
  }, 60_000);
});
