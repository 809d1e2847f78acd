/**
 * The contacts of a record write as they were at its cut, without copying them at the cut
 * (issue 15): the cut is one synchronous step of the event loop (records, counters and the last
 * commit together), and copying 45,000–60,000 contacts in it blocked the screens for 100–250 ms
 * at 20,000 events/s. Instead each contact of the write is read as it is while it has not
 * changed, and copied only the first time it is about to change before the write is done
 * (copy-on-write): the engine calls `keep` before every change to a held contact.
 */
import type { ContactFold } from '../../shared/contact-fold.ts';
import type { ContactSnapshot } from '../records/snapshots.ts';
import { foldOf, foldWith, type ContactEntry } from './engine-state.ts';

export class RecordCut {
  /** Contacts of the write not changed since the cut: read as they are. */
  private readonly unchanged = new Set<ContactEntry>();
  /** Contacts changed since the cut: their state at the cut. */
  private readonly kept = new Map<ContactEntry, ContactSnapshot>();

  /** Takes a held contact into the cut; its snapshot reads the contact as of the cut. */
  add(entry: ContactEntry): ContactSnapshot {
    this.unchanged.add(entry);
    return new CutContact(entry, this);
  }

  /** The contact is about to change: keeps a copy of it as of the cut (once). */
  keep(entry: ContactEntry): void {
    if (this.unchanged.delete(entry)) this.kept.set(entry, { fold: foldOf(entry), team: entry.team });
  }

  fold(entry: ContactEntry): ContactFold {
    const kept = this.kept.get(entry);
    if (kept) return kept.fold;
    // Unchanged since the cut: the contact itself, read within one step (the store serialises a
    // row in the step it reads it, so the record cannot change underneath).
    return foldWith(entry);
  }

  team(entry: ContactEntry): string | undefined {
    const kept = this.kept.get(entry);
    return kept ? kept.team : entry.team;
  }
}

/** A contact of a write, read through its cut. */
class CutContact implements ContactSnapshot {
  constructor(
    private readonly entry: ContactEntry,
    private readonly cut: RecordCut,
  ) {}

  get fold(): ContactFold {
    return this.cut.fold(this.entry);
  }

  get team(): string | undefined {
    return this.cut.team(this.entry);
  }
}
