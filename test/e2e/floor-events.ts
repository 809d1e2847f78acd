/**
 * A seeded half hour of a contact-centre floor, as ingest events (SPEC §3), ending at `nowMs`:
 * agents by state, eight queues with answered, abandoned and still-waiting calls, wrap-ups,
 * resolutions, surveys and tickets. Same seed, same events.
 */
import { seededRandom } from '../fixtures/test-server.ts';

/** Names for the floor's agents, in both languages (an admin names them: screens show names, not ids). */
const SURNAMES = [['王', 'Wang'], ['李', 'Li'], ['张', 'Zhang'], ['刘', 'Liu'], ['陈', 'Chen'], ['杨', 'Yang'], ['黄', 'Huang'], ['赵', 'Zhao'], ['周', 'Zhou'], ['吴', 'Wu'], ['徐', 'Xu'], ['孙', 'Sun'], ['马', 'Ma'], ['朱', 'Zhu'], ['胡', 'Hu']] as const;
const GIVEN = [['伟', 'Wei'], ['芳', 'Fang'], ['磊', 'Lei'], ['敏', 'Min'], ['静', 'Jing'], ['浩', 'Hao'], ['燕', 'Yan'], ['涛', 'Tao'], ['军', 'Jun'], ['丽娟', 'Lijuan']] as const;
export const agentNames = (i: number) => {
  const [zhSurname, enSurname] = SURNAMES[i % SURNAMES.length];
  const [zhGiven, enGiven] = GIVEN[Math.floor(i / SURNAMES.length) % GIVEN.length];
  return { zh: `${zhSurname}${zhGiven}`, en: `${enSurname} ${enGiven}` };
};

type FloorEvent = Record<string, unknown> & { id: string; type: string; ts: number };

const QUEUES = ['general', 'customer', 'value_added', 'brand', 'vip', 'complaints', 'internal_help', 'back_office'];
/** Calls per queue in the half hour; complaints is understaffed so its figures go red. */
const VOLUME: Record<string, number> = {
  general: 60, customer: 45, value_added: 25, brand: 15, vip: 20, complaints: 30, internal_help: 10, back_office: 12,
};

/** Events of the last 30 minutes before `nowMs`; ids are prefixed so runs do not collide. */
export function floorEvents(nowMs: number, seed = 42, prefix = 'floor'): FloorEvent[] {
  const random = seededRandom(seed);
  const between = (lo: number, hi: number) => lo + random() * (hi - lo);
  const events: FloorEvent[] = [];
  let n = 0;
  const push = (type: string, ts: number, fields: Record<string, unknown>) =>
    events.push({ id: `${prefix}-${++n}`, type, ts: Math.round(Math.min(ts, nowMs)), ...fields });
  const start = nowMs - 30 * 60_000;

  // 48 agents, each serving one queue; final states spread like a busy floor.
  const finalStates = ['busy', 'busy', 'busy', 'ready', 'acw', 'busy', 'ready', 'not_ready'];
  for (let i = 0; i < 48; i++) {
    const agentId = `${prefix}-agent-${i}`;
    const queue = QUEUES[i % QUEUES.length];
    const team = `team-${(i % 4) + 1}`;
    push('agent.state', start - 60_000, { agentId, state: 'ready', team, site: 'hangzhou', queues: [queue] });
    const state = finalStates[i % finalStates.length];
    // One agent has been in not-ready for 7 minutes (over the 5-minute limit), the others briefly.
    const since = state === 'not_ready' ? nowMs - (i === 7 ? 7 * 60_000 : between(30_000, 120_000)) : nowMs - between(10_000, 300_000);
    push('agent.state', since, { agentId, state, team, site: 'hangzhou', queues: [queue], reason: state === 'not_ready' ? 'break' : undefined });
  }

  let contact = 0;
  for (const queue of QUEUES) {
    const slowQueue = queue === 'complaints';
    for (let c = 0; c < VOLUME[queue]; c++) {
      const contactId = `${prefix}-c-${++contact}`;
      const offeredMs = start + between(0, 27 * 60_000);
      push('contact.offered', offeredMs, { contactId, queue, site: 'hangzhou', channel: 'phone' });
      const roll = random();
      const waitSec = slowQueue ? between(10, 110) : roll < 0.9 ? between(3, 25) : between(25, 70);
      if (roll < (slowQueue ? 0.15 : 0.04)) {
        push('contact.abandoned', offeredMs + waitSec * 1000, { contactId });
        continue;
      }
      const agentId = `${prefix}-agent-${QUEUES.indexOf(queue) + 8 * Math.floor(between(0, 6))}`;
      const answeredMs = offeredMs + waitSec * 1000;
      push('contact.answered', answeredMs, { contactId, agentId });
      const talkSec = between(90, 380);
      const endedMs = answeredMs + talkSec * 1000;
      if (endedMs > nowMs - 60_000) continue; // still talking
      push('contact.ended', endedMs, { contactId, talkSec: Math.round(talkSec), holdSec: Math.round(between(0, 30)) });
      push('contact.wrapped', endedMs + between(15, 50) * 1000, { contactId, agentId });
      push('contact.resolved', endedMs + 60_000, { contactId, firstContact: random() < 0.93 });
      if (random() < 0.4) push('survey.response', endedMs + 90_000, { contactId, score: random() < 0.9 ? 5 : 3, scale: 5 });
    }
  }

  // Callers waiting right now, the oldest for 95 s in complaints.
  for (const [queue, waitSec] of [['complaints', 95], ['complaints', 40], ['general', 12], ['customer', 20]] as const) {
    push('contact.offered', nowMs - waitSec * 1000, { contactId: `${prefix}-c-${++contact}`, queue, site: 'hangzhou', channel: 'phone' });
  }

  for (let i = 0; i < 12; i++) {
    const ticketId = `${prefix}-t-${i}`;
    push('ticket.opened', start + i * 60_000, { ticketId, tier: 'simple', category: 'billing' });
    push('ticket.closed', start + i * 60_000 + 10 * 60_000, { ticketId, confirmed: true });
  }
  return events.sort((a, b) => a.ts - b.ts);
}
