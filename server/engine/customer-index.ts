/**
 * The FCR customer index (SPEC §4, repeat contacts): the contacts in memory by customer, and
 * Bloom filters of the customers whose contacts left memory for the store. A new offer marks the
 * customer's earlier contacts within the repeat window as repeated, in either arrival order;
 * a new call of a customer who may have left tells the seed to load their stored contacts.
 */
import type { ContactRecord } from '../../shared/attribution.ts';
import { BloomFilter, bloomKey } from '../lib/bloom.ts';
import { DAY_MS, EngineState, type ContactEntry } from './engine-state.ts';

/**
 * A customer's contacts in memory, when there are several: all of them, those not yet marked as
 * repeated by a later contact, and the latest offer time among them (never lowered).
 */
export interface CustomerContacts {
  ids: Set<string>;
  unmarked: Set<string>;
  latestOfferMs: number;
}

/** The engine's FCR customer index (see the header); its job above the shared state. */
export abstract class CustomerIndex extends EngineState {
  /** Re-attributes a contact (now, or at the end of the batch being applied): see event-folding.ts. */
  protected abstract touchContact(entry: ContactEntry): void;

  /** Contacts in memory by customer (most customers have one: a bare id, not a CustomerContacts). */
  private readonly customersInMemory = new Map<string, string | CustomerContacts>();

  /** Customers of contacts that left memory, per day they left: a new call of one may be a repeat. */
  protected readonly customersLeft = new Map<string, BloomFilter>();

  /**
   * Adds a contact to its customer's contacts in memory. Returns them when there are others (null
   * while the contact is its customer's only one, by far the most common case).
   */
  protected indexCustomer(ref: string, r: ContactRecord): CustomerContacts | null {
    const known = this.customersInMemory.get(ref);
    if (known === undefined) {
      this.customersInMemory.set(ref, r.contactId);
      return null;
    }
    let group: CustomerContacts;
    if (typeof known === 'string') {
      if (known === r.contactId) return null;
      group = { ids: new Set([known]), unmarked: new Set(), latestOfferMs: -Infinity };
      const first = this.contacts.get(known)?.record;
      if (first) this.rememberCustomer(group, first);
      this.customersInMemory.set(ref, group);
    } else group = known;
    group.ids.add(r.contactId);
    return group;
  }

  /** Notes a contact of the group as a candidate to be marked by a later one, and its offer time. */
  protected rememberCustomer(group: CustomerContacts | null, r: ContactRecord): void {
    if (group === null) return;
    if (!r.repeatedLater) group.unmarked.add(r.contactId);
    if (r.offeredTsMs !== undefined && r.offeredTsMs > group.latestOfferMs) group.latestOfferMs = r.offeredTsMs;
  }

  protected unindexCustomer(ref: string, contactId: string): void {
    const known = this.customersInMemory.get(ref);
    if (known === contactId) this.customersInMemory.delete(ref);
    else if (typeof known === 'object') {
      known.ids.delete(contactId);
      known.unmarked.delete(contactId);
      if (known.ids.size === 0) this.customersInMemory.delete(ref);
    }
  }

  /**
   * FCR repeat rule (SPEC §4): a contact by the same customer within the repeat window after
   * another makes the earlier one not-first. Checked both ways, so arrival order does not matter.
   */
  protected linkRepeatContacts(entry: ContactEntry): void {
    const r = entry.record;
    const ref = r.customerRef!;
    const offeredMs = r.offeredTsMs!;
    const windowMs = this.settings.fcrRepeatDays * DAY_MS;
    const group = this.indexCustomer(ref, r);
    if (group === null) return;
    // Earlier contacts not yet marked (usually just the customer's latest): this one repeats them.
    // The work per offer does not grow with the customer's contacts of the day, as a caller
    // behind a switchboard or a withheld number can make thousands.
    for (const otherId of group.unmarked) {
      if (otherId === r.contactId) continue;
      const otherEntry = this.contacts.get(otherId);
      const other = otherEntry?.record;
      if (!otherEntry || !other || other.customerRef !== ref || other.repeatedLater || other.offeredTsMs === undefined) {
        group.unmarked.delete(otherId);
        continue;
      }
      if (other.offeredTsMs < offeredMs && offeredMs - other.offeredTsMs <= windowMs) {
        this.beforeContactChange(otherEntry);
        other.repeatedLater = true;
        group.unmarked.delete(otherId);
        this.touchContact(otherEntry);
      }
    }
    // A later contact of the same customer makes this one a repeat: only when this offer came out
    // of order (one later than it is already known) is there one to look for.
    if (group.latestOfferMs > offeredMs && !r.repeatedLater) {
      for (const otherId of group.ids) {
        if (otherId === r.contactId) continue;
        const other = this.contacts.get(otherId)?.record;
        if (other?.customerRef !== ref || other.offeredTsMs === undefined) continue;
        if (other.offeredTsMs > offeredMs && other.offeredTsMs - offeredMs <= windowMs) {
          this.beforeContactChange(entry);
          r.repeatedLater = true;
          break;
        }
      }
    }
    this.rememberCustomer(group, r);
  }

  /** Marks held contacts as repeated by a later contact of their customer (FCR), found by the store. */
  markRepeated(contactIds: readonly string[]): void {
    for (const id of contactIds) {
      const entry = this.contacts.get(id);
      if (!entry || entry.record.repeatedLater) continue;
      this.beforeContactChange(entry);
      entry.record.repeatedLater = true;
      if (entry.record.customerRef !== undefined) {
        const group = this.customersInMemory.get(entry.record.customerRef);
        if (typeof group === 'object') group.unmarked.delete(id);
      }
      this.touchContact(entry);
    }
  }

  /** Whether a contact of this customer held in memory was offered after `offeredMs`, within the repeat window. */
  hasLaterOffer(customerRef: string, offeredMs: number): boolean {
    const known = this.customersInMemory.get(customerRef);
    if (known === undefined) return false;
    const windowMs = this.settings.fcrRepeatDays * DAY_MS;
    for (const id of typeof known === 'string' ? [known] : known.ids) {
      const r = this.contacts.get(id)?.record;
      if (r?.offeredTsMs !== undefined && !r.drill && r.offeredTsMs > offeredMs && r.offeredTsMs - offeredMs <= windowMs) return true;
    }
    return false;
  }

  protected mayHaveCustomerLeft(ref: string): boolean {
    const key = bloomKey(ref);
    for (const filter of this.customersLeft.values()) if (filter.mightHaveKey(key)) return true;
    return false;
  }

  /** The customer of a contact that left memory: a new call of theirs may repeat it (`mayHaveCustomerLeft`). */
  protected noteCustomerLeft(customerKey: number): void {
    this.filterOfToday(this.customersLeft).addKey(customerKey);
  }
}
