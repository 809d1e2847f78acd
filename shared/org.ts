/**
 * The org directory (issue 11): display names in 简体中文 and English for the ids events carry —
 * sites, queues, teams, channels and agents. Ids stay what the API and the events speak; pages
 * and exports show names. Kept by the server in DATA_DIR/org.json (validated with
 * `org-schema.ts`), edited on the admin page, filled by the demo simulator, and every id seen in
 * an event joins it unnamed (its name is its id until someone names it).
 *
 * Pure and without zod, so the wallboard can import it and stay small.
 */
import type { Dimension } from './scope.ts';
import { SEAT_TYPES } from './seat-types.ts';

export const ORG_KINDS = ['site', 'queue', 'team', 'channel', 'agent'] as const;
export type OrgKind = (typeof ORG_KINDS)[number];

/** Where an entry's names came from: only `admin` names are never overwritten by a shipper. */
export const ORG_SOURCES = ['seen', 'builtin', 'admin'] as const;
export type OrgSource = (typeof ORG_SOURCES)[number];

export type OrgLang = 'zh-CN' | 'en';

export interface OrgEntry {
  kind: OrgKind;
  id: string;
  /** 简体中文 name; absent: unnamed in Chinese. */
  zh?: string;
  /** English name; absent: unnamed in English. */
  en?: string;
  source: OrgSource;
  /** When and by whom the names last changed (ISO time; a user, `simulator`, or absent when only seen). */
  changedAt?: string;
  changedBy?: string;
}

/** What `GET /api/v1/org` answers and DATA_DIR/org.json holds (`format` only in the file). */
export interface OrgDirectoryData {
  /** Goes up by one with every change (an ETag for pages that poll). */
  revision: number;
  entries: OrgEntry[];
}

/** One entry's new names: a string names it, null or "" clears the name (back to the id). */
export interface OrgChange {
  kind: OrgKind;
  id: string;
  zh?: string | null;
  en?: string | null;
}

export const ORG_LIMITS = {
  /** The longest id: what events accept (SPEC §3 names). */
  idChars: 128,
  nameChars: 64,
  /** Entries per kind; ids seen beyond it are not added (names keep working for the rest). */
  entriesPerKind: 5000,
  /** Entries in one `PUT /api/v1/org`. */
  entriesPerChange: 500,
} as const;

/** The scope dimension an org kind names (and back). */
export function orgKindOf(dimension: Dimension | string): OrgKind | null {
  return (ORG_KINDS as readonly string[]).includes(dimension) ? (dimension as OrgKind) : null;
}

/**
 * Names the product knows before any directory is loaded: the five channels of SPEC §3, the
 * seat types of manual 003 (shared/seat-types.ts) and the demo province's city sites. A page
 * that could not load the directory (or a test without a server) still shows these; the
 * directory's names win whenever it has them.
 */
export const BUILTIN_NAMES: Readonly<Record<'site' | 'queue' | 'channel', Readonly<Record<string, { zh: string; en: string }>>>> = {
  channel: {
    phone: { zh: '电话', en: 'Phone' },
    email: { zh: '邮件', en: 'Email' },
    chat: { zh: '在线客服', en: 'Chat' },
    social: { zh: '社交媒体', en: 'Social' },
    self_service: { zh: '自助服务', en: 'Self-service' },
  },
  queue: Object.fromEntries(SEAT_TYPES.map((s) => [s.id, { zh: s.zh, en: s.en }])),
  site: {
    hangzhou: { zh: '杭州', en: 'Hangzhou' },
    ningbo: { zh: '宁波', en: 'Ningbo' },
    wenzhou: { zh: '温州', en: 'Wenzhou' },
    shaoxing: { zh: '绍兴', en: 'Shaoxing' },
    jinhua: { zh: '金华', en: 'Jinhua' },
  },
};

/** The built-in name of an id in a language, or null. Own keys only (`constructor` is no site). */
export function builtinName(kind: OrgKind, id: string, lang: OrgLang): string | null {
  const table = (BUILTIN_NAMES as Record<string, Record<string, { zh: string; en: string }>>)[kind];
  if (!table || !Object.hasOwn(table, id)) return null;
  return lang === 'en' ? table[id].en : table[id].zh;
}

/** Does the entry have a name in at least one language? */
export function isNamed(entry: Pick<OrgEntry, 'zh' | 'en'>): boolean {
  return Boolean(entry.zh) || Boolean(entry.en);
}

/** A name as kept: trimmed, empty meaning none. */
function cleanName(name: string | null | undefined): string | undefined {
  const trimmed = name?.trim();
  return trimmed ? trimmed : undefined;
}

/** Admin page order: unnamed first, then by kind (sites, queues, teams, channels, agents), then id. */
export function compareEntries(a: OrgEntry, b: OrgEntry): number {
  const named = Number(isNamed(a)) - Number(isNamed(b));
  if (named !== 0) return named;
  const kind = ORG_KINDS.indexOf(a.kind) - ORG_KINDS.indexOf(b.kind);
  if (kind !== 0) return kind;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** What a change did to one entry, for the audit log. */
export interface OrgDiff {
  kind: OrgKind;
  id: string;
  from: { zh: string | null; en: string | null };
  to: { zh: string | null; en: string | null };
}

/**
 * The directory in memory: one map per kind (ids are never object keys, so `__proto__` is just
 * an id). Used by the server to keep it and by pages to look names up.
 */
export class OrgBook {
  private readonly maps = new Map<OrgKind, Map<string, OrgEntry>>(ORG_KINDS.map((kind) => [kind, new Map()]));
  revision = 0;

  constructor(data?: OrgDirectoryData) {
    if (!data) return;
    this.revision = data.revision;
    for (const entry of data.entries) this.maps.get(entry.kind)?.set(entry.id, { ...entry });
  }

  get(kind: OrgKind, id: string): OrgEntry | undefined {
    return this.maps.get(kind)?.get(id);
  }

  has(kind: OrgKind, id: string): boolean {
    return this.maps.get(kind)?.has(id) ?? false;
  }

  count(kind: OrgKind): number {
    return this.maps.get(kind)?.size ?? 0;
  }

  /** The name to show: the directory's in `lang`, else the built-in one, else the id itself. */
  name(kind: OrgKind, id: string, lang: OrgLang): string {
    const entry = this.get(kind, id);
    const own = entry ? (lang === 'en' ? entry.en : entry.zh) : undefined;
    return own ?? builtinName(kind, id, lang) ?? id;
  }

  /**
   * Ids seen in events join unnamed (at most `entriesPerKind` per kind); returns how many joined.
   * Nothing else changes, and the revision goes up only when one joined.
   */
  join(kind: OrgKind, ids: Iterable<string>): number {
    const map = this.maps.get(kind)!;
    let joined = 0;
    for (const id of ids) {
      if (map.has(id) || map.size >= ORG_LIMITS.entriesPerKind || id.length === 0 || id.length > ORG_LIMITS.idChars) continue;
      map.set(id, { kind, id, source: 'seen' });
      joined++;
    }
    if (joined > 0) this.revision++;
    return joined;
  }

  /**
   * Names a shipper knows (the simulator's sites, queues, teams): written where the entry is
   * missing or was not named by an admin. Returns the entries it changed.
   */
  ship(entries: ReadonlyArray<{ kind: OrgKind; id: string; zh: string; en: string }>, by: string, atIso: string): number {
    let changed = 0;
    for (const e of entries) {
      const map = this.maps.get(e.kind)!;
      const current = map.get(e.id);
      if (current?.source === 'admin') continue;
      if (!current && map.size >= ORG_LIMITS.entriesPerKind) continue;
      if (current && current.zh === e.zh && current.en === e.en && current.source === 'builtin') continue;
      map.set(e.id, { kind: e.kind, id: e.id, zh: e.zh, en: e.en, source: 'builtin', changedAt: atIso, changedBy: by });
      changed++;
    }
    if (changed > 0) this.revision++;
    return changed;
  }

  /**
   * An admin's changes: each names (or, with null / "", unnames) one entry; a missing language
   * keeps its name. An entry left without names goes back to `seen`. Returns what changed.
   */
  apply(changes: readonly OrgChange[], by: string, atIso: string): OrgDiff[] {
    const diffs: OrgDiff[] = [];
    for (const c of changes) {
      const map = this.maps.get(c.kind)!;
      const current = map.get(c.id);
      const zh = c.zh === undefined ? current?.zh : cleanName(c.zh);
      const en = c.en === undefined ? current?.en : cleanName(c.en);
      if (current && current.zh === zh && current.en === en) continue;
      if (!current && zh === undefined && en === undefined) continue;
      const next: OrgEntry = { kind: c.kind, id: c.id, source: zh || en ? 'admin' : 'seen', changedAt: atIso, changedBy: by };
      if (zh !== undefined) next.zh = zh;
      if (en !== undefined) next.en = en;
      map.set(c.id, next);
      diffs.push({ kind: c.kind, id: c.id, from: { zh: current?.zh ?? null, en: current?.en ?? null }, to: { zh: zh ?? null, en: en ?? null } });
    }
    if (diffs.length > 0) this.revision++;
    return diffs;
  }

  /** Every entry (optionally of some kinds only), unnamed first. */
  entries(kinds: readonly OrgKind[] = ORG_KINDS): OrgEntry[] {
    return kinds.flatMap((kind) => [...this.maps.get(kind)!.values()]).sort(compareEntries);
  }

  toData(kinds: readonly OrgKind[] = ORG_KINDS): OrgDirectoryData {
    return { revision: this.revision, entries: this.entries(kinds).map((e) => ({ ...e })) };
  }
}
