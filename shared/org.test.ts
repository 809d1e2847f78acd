import { describe, expect, it } from 'vitest';
import { OrgBook, ORG_LIMITS, compareEntries, type OrgEntry } from './org.ts';
import { parseOrgChanges, parseOrgFile } from './org-schema.ts';

const AT = '2026-03-02T02:00:00.000Z';

describe('org directory: names, joining and merging', () => {
  it('names an id by the directory, else the built-in name, else the id itself', () => {
    const book = new OrgBook({
      revision: 4,
      entries: [
        { kind: 'site', id: 'sz', zh: '深圳', en: 'Shenzhen', source: 'admin' },
        { kind: 'queue', id: 'general', zh: '综合', source: 'admin' },
        { kind: 'team', id: 'hangzhou-back_office-1', source: 'seen' },
      ],
    });
    expect(book.name('site', 'sz', 'zh-CN')).toBe('深圳');
    expect(book.name('site', 'sz', 'en')).toBe('Shenzhen');
    // Named in Chinese only: English falls back to the built-in seat-type name.
    expect(book.name('queue', 'general', 'zh-CN')).toBe('综合');
    expect(book.name('queue', 'general', 'en')).toBe('General');
    expect(book.name('site', 'hangzhou', 'en')).toBe('Hangzhou');
    expect(book.name('team', 'hangzhou-back_office-1', 'en')).toBe('hangzhou-back_office-1');
    // An id is never looked up on Object.prototype.
    expect(book.name('site', 'constructor', 'zh-CN')).toBe('constructor');
    expect(book.name('channel', '__proto__', 'en')).toBe('__proto__');
    // A site and a queue may share an id: each kind is its own.
    expect(book.name('queue', 'sz', 'zh-CN')).toBe('sz');
  });

  it('lets ids seen in events join unnamed, once, up to the limit per kind', () => {
    const book = new OrgBook();
    expect(book.join('site', ['sz', 'gz', 'sz'])).toBe(2);
    expect(book.revision).toBe(1);
    expect(book.join('site', ['sz'])).toBe(0);
    expect(book.revision).toBe(1);
    expect(book.join('agent', ['__proto__'])).toBe(1);
    expect(book.get('agent', '__proto__')).toEqual({ kind: 'agent', id: '__proto__', source: 'seen' });
    const many = Array.from({ length: ORG_LIMITS.entriesPerKind + 10 }, (_, i) => `a${i}`);
    expect(book.join('agent', many)).toBe(ORG_LIMITS.entriesPerKind - 1);
    expect(book.count('agent')).toBe(ORG_LIMITS.entriesPerKind);
    expect(book.join('queue', ['x'.repeat(129), ''])).toBe(0);
  });

  it('ships names over seen and shipped entries but never over an admin\'s', () => {
    const book = new OrgBook();
    book.join('site', ['hangzhou', 'ningbo']);
    book.apply([{ kind: 'site', id: 'ningbo', zh: '宁波中心', en: 'Ningbo centre' }], 'zhou.admin', AT);
    const shipped = [
      { kind: 'site' as const, id: 'hangzhou', zh: '杭州', en: 'Hangzhou' },
      { kind: 'site' as const, id: 'ningbo', zh: '宁波', en: 'Ningbo' },
      { kind: 'team' as const, id: 'hangzhou-vip-1', zh: '杭州VIP会员1组', en: 'Hangzhou VIP members team 1' },
    ];
    expect(book.ship(shipped, 'simulator', AT)).toBe(2);
    expect(book.get('site', 'hangzhou')).toEqual({ kind: 'site', id: 'hangzhou', zh: '杭州', en: 'Hangzhou', source: 'builtin', changedAt: AT, changedBy: 'simulator' });
    expect(book.get('site', 'ningbo')?.zh).toBe('宁波中心');
    const revision = book.revision;
    // Shipping the same names again changes nothing.
    expect(book.ship(shipped, 'simulator', AT)).toBe(0);
    expect(book.revision).toBe(revision);
  });

  it('applies an admin\'s names, keeps a language not given, and unnames with null or ""', () => {
    const book = new OrgBook();
    book.join('queue', ['vip']);
    expect(book.apply([{ kind: 'queue', id: 'vip', zh: ' 贵宾 ' }], 'zhou.admin', AT)).toEqual([
      { kind: 'queue', id: 'vip', from: { zh: null, en: null }, to: { zh: '贵宾', en: null } },
    ]);
    expect(book.apply([{ kind: 'queue', id: 'vip', en: 'VIP' }], 'zhou.admin', AT)[0].to).toEqual({ zh: '贵宾', en: 'VIP' });
    // The same names again: no change.
    expect(book.apply([{ kind: 'queue', id: 'vip', zh: '贵宾', en: 'VIP' }], 'zhou.admin', AT)).toEqual([]);
    expect(book.apply([{ kind: 'queue', id: 'vip', zh: null, en: '' }], 'zhou.admin', AT)[0].to).toEqual({ zh: null, en: null });
    expect(book.get('queue', 'vip')?.source).toBe('seen');
    // Unnaming an id the directory does not hold adds nothing.
    expect(book.apply([{ kind: 'queue', id: 'nowhere', zh: '' }], 'zhou.admin', AT)).toEqual([]);
    expect(book.has('queue', 'nowhere')).toBe(false);
  });

  it('lists unnamed entries first, then by kind and id', () => {
    const e = (kind: OrgEntry['kind'], id: string, zh?: string): OrgEntry => ({ kind, id, source: zh ? 'admin' : 'seen', ...(zh ? { zh } : {}) });
    const sorted = [e('queue', 'b', '乙'), e('team', 't2'), e('site', 'a', '甲'), e('site', 'z'), e('team', 't1')].sort(compareEntries);
    expect(sorted.map((x) => `${x.kind}:${x.id}`)).toEqual(['site:z', 'team:t1', 'team:t2', 'site:a', 'queue:b']);
  });
});

describe('org directory: validation', () => {
  it('reads a good file and refuses a bad one naming the field', () => {
    const good = { format: 1, revision: 3, entries: [{ kind: 'site', id: 'sz', zh: '深圳', source: 'admin', changedAt: AT, changedBy: 'a' }] };
    expect(parseOrgFile(good)).toEqual({ ok: true, value: { revision: 3, entries: good.entries } });
    expect(parseOrgFile({ ...good, format: 2 })).toEqual({ ok: false, error: 'format: must be one of 1' });
    expect(parseOrgFile({ ...good, entries: [{ ...good.entries[0], kind: 'planet' }] })).toEqual({ ok: false, error: 'entries[0].kind: must be one of site, queue, team, channel, agent' });
    expect(parseOrgFile({ ...good, entries: [good.entries[0], good.entries[0]] })).toEqual({ ok: false, error: 'entries[1]: the same kind and id twice' });
    expect(parseOrgFile([])).toEqual({ ok: false, error: 'body: must be an object' });
  });

  it('gives field-named errors for changes without repeating what was sent', () => {
    const secret = 'S3CRET-VALUE';
    const cases: Array<[unknown, string]> = [
      [{}, 'entries: required'],
      [{ entries: [] }, 'entries: at least 1 entry'],
      [{ entries: [{ kind: secret, id: 'x', zh: 'a' }] }, 'entries[0].kind: must be one of site, queue, team, channel, agent'],
      [{ entries: [{ kind: 'site', id: '', zh: 'a' }] }, 'entries[0].id: must not be empty'],
      [{ entries: [{ kind: 'site', id: 'x'.repeat(129), zh: 'a' }] }, 'entries[0].id: at most 128 characters'],
      [{ entries: [{ kind: 'site', id: 'x', zh: secret.repeat(10) }] }, 'entries[0].zh: at most 64 characters'],
      [{ entries: [{ kind: 'site', id: 'x', en: `a\u0007${secret}` }] }, 'entries[0].en: must not contain control characters'],
      [{ entries: [{ kind: 'site', id: 'x', en: 5 }] }, 'entries[0].en: must be a string'],
      [{ entries: [{ kind: 'site', id: 'x', zh: 'a', [secret]: 1 }] }, 'entries[0]: has fields that are not allowed'],
      [{ entries: [{ kind: 'site', id: 'x' }] }, 'entries[0]: give zh, en or both'],
      [{ entries: [{ kind: 'site', id: 'x', zh: 'a' }, { kind: 'site', id: 'x', en: 'b' }] }, 'entries[1]: the same kind and id twice'],
      [{ entries: Array.from({ length: 501 }, (_, i) => ({ kind: 'site', id: `s${i}`, zh: 'a' })) }, 'entries: at most 500 entries'],
    ];
    for (const [body, error] of cases) {
      const parsed = parseOrgChanges(body);
      expect(parsed, JSON.stringify(body).slice(0, 80)).toEqual({ ok: false, error });
    }
    expect(parseOrgChanges({ entries: [{ kind: 'team', id: 't1', zh: '一组', en: null }] })).toEqual({ ok: true, value: [{ kind: 'team', id: 't1', zh: '一组', en: null }] });
  });
});
