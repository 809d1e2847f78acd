/**
 * Every queue_log verb and every shape real files hold (issue 13), line by line, from the
 * hand-written fixture test/fixtures/queue-log/shapes.log: what each line makes, and that the
 * translation is the same when cut anywhere and resumed from the saved state.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateEvent, type CallCentreEventInput } from '../../../shared/events.ts';
import { defaultQueueLogMapping } from './mapping.ts';
import { QueueLogTranslator, type TranslatorState } from './translate.ts';

const SHAPES = readFileSync(new URL('../../../test/fixtures/queue-log/shapes.log', import.meta.url), 'utf8').split('\n');
/** 2026-11-21 09:00 in Asia/Shanghai: the fixture's first second. */
const E = 1795222800;
const ms = (offsetSec: number) => (E + offsetSec) * 1000;

type Ev = CallCentreEventInput & Record<string, unknown>;

/** The events of each line (by line number) of `lines`, from one translator. */
function translate(lines: string[], translator = new QueueLogTranslator({ mapping: defaultQueueLogMapping() }), firstLine = 1) {
  const byLine = new Map<number, Ev[]>();
  lines.forEach((text, i) => byLine.set(firstLine + i, translator.push(text, firstLine + i) as Ev[]));
  return { byLine, translator };
}

const { byLine, translator } = translate(SHAPES);
const at = (line: number) => byLine.get(line) ?? [];
const types = (line: number) => at(line).map((e) => e.type);

describe('queue_log translation, shape by shape', () => {
  it('makes only valid events, and sums up the file', () => {
    for (const events of byLine.values()) {
      for (const event of events) expect(validateEvent(event).ok, JSON.stringify(event)).toBe(true);
    }
    const summary = translator.summary();
    expect(summary.lines).toBe(47);
    expect(summary.malformed).toEqual([]);
    expect(summary.orphans).toBe(1);
    expect(summary.ignored).toEqual({ RINGNOANSWER: 1, RINGCANCELED: 1, DID: 1, INFO: 1, CONFIGRELOAD: 1 });
    expect(summary.events).toBe([...byLine.values()].reduce((n, events) => n + events.length, 0));
  });

  it('turns members into agents: added (PAUSED in one queue is still ready in another), logged in, removed, logged off', () => {
    expect(at(1)).toEqual([]); // QUEUESTART with nothing waiting
    expect(at(2)).toEqual([{ id: `ql:PJSIP/301:${E}:000:ready`, type: 'agent.state', ts: ms(0), agentId: 'PJSIP/301', state: 'ready', queues: ['q1'], site: 'main' }]);
    expect(at(3)).toMatchObject([{ id: `ql:PJSIP/301:${E}:001:ready`, state: 'ready', queues: ['q1', 'q2'] }]);
    expect(at(4)).toMatchObject([{ agentId: 'PJSIP/302', state: 'ready', queues: ['q1'], ts: ms(1) }]);
    expect(at(5)).toMatchObject([{ agentId: 'Agent/1001', state: 'ready', queues: [] }]);
    expect(at(5)[0]).not.toHaveProperty('site');
    expect(at(44)).toMatchObject([{ agentId: 'PJSIP/302', state: 'ready', queues: ['q1'], ts: ms(450) }]);
    expect(at(45)).toMatchObject([{ agentId: 'Agent/1001', state: 'logged_out', queues: [], ts: ms(500) }]);
  });

  it('offers a call on ENTERQUEUE, with the caller id when it is a number (any version of the row)', () => {
    expect(at(6)).toEqual([{ id: 'ql:1795222810.11:q1:offered', type: 'contact.offered', ts: ms(10), contactId: 'ql:1795222810.11:q1', queue: 'q1', site: 'main', channel: 'phone', caller: '13800000001' }]);
    expect(at(11)).toMatchObject([{ contactId: 'ql:1795222880.13:q1', caller: '13800000002' }]); // url and caller name around it
    expect(at(13)[0]).not.toHaveProperty('caller'); // "anonymous"
    expect(at(15)[0]).not.toHaveProperty('caller'); // empty
  });

  it('never makes an outcome of a ring: RINGNOANSWER and RINGCANCELED (milliseconds) are counted only', () => {
    expect(at(7)).toEqual([]);
    expect(at(8)).toEqual([]);
  });

  it('answers on CONNECT at offer + holdtime, with or without the ringtime field, and makes the member busy', () => {
    expect(types(9)).toEqual(['contact.answered', 'agent.state']);
    expect(at(9)[0]).toEqual({ id: 'ql:1795222810.11:q1:answered', type: 'contact.answered', ts: ms(15), contactId: 'ql:1795222810.11:q1', agentId: 'PJSIP/301' });
    expect(at(9)[1]).toMatchObject({ agentId: 'PJSIP/301', state: 'busy', ts: ms(15) });
    expect(at(20)[0]).toMatchObject({ type: 'contact.answered', ts: ms(132), agentId: 'PJSIP/302' });
    // PJSIP/302 was added to q1 only: taking a q2 call, it serves q2 too (a static member).
    expect(at(20)[1]).toMatchObject({ state: 'busy', queues: ['q1', 'q2'] });
  });

  it('ends, wraps up and resolves (first contact) on COMPLETECALLER with talk = calltime, hold 0', () => {
    const contactId = 'ql:1795222810.11:q1';
    expect(at(10)).toEqual([
      { id: `${contactId}:ended`, type: 'contact.ended', ts: ms(75), contactId, talkSec: 60, holdSec: 0 },
      { id: `${contactId}:wrapped`, type: 'contact.wrapped', ts: ms(75), contactId, agentId: 'PJSIP/301' },
      { id: `${contactId}:resolved`, type: 'contact.resolved', ts: ms(75), contactId, firstContact: true },
      expect.objectContaining({ type: 'agent.state', agentId: 'PJSIP/301', state: 'ready', ts: ms(75) }),
    ]);
  });

  it('flows out on EXITWITHTIMEOUT (1.x: position only, at the line), EXITWITHKEY (key only, or every field) and EXITEMPTY', () => {
    expect(at(12)).toEqual([{ id: 'ql:1795222880.13:q1:flowed_out', type: 'contact.flowed_out', ts: ms(90), contactId: 'ql:1795222880.13:q1', reason: 'timeout' }]);
    expect(at(14)).toMatchObject([{ type: 'contact.flowed_out', ts: ms(105), reason: 'key' }]);
    expect(at(16)).toMatchObject([{ type: 'contact.flowed_out', ts: ms(110 + 3), reason: 'key' }]);
    expect(at(18)).toMatchObject([{ type: 'contact.flowed_out', ts: ms(120 + 2), reason: 'no_agents', contactId: 'ql:1795222920.16:q2' }]);
  });

  it('transfers on ATTENDEDTRANSFER in its BRIDGE, APP and LINK forms and on TRANSFER without origposition: not first-contact', () => {
    const transfer = (line: number, talkSec: number, tsSec: number) => {
      expect(types(line)).toEqual(['contact.transferred', 'contact.ended', 'contact.wrapped', 'contact.resolved', 'agent.state']);
      expect(at(line)[0].ts).toBe(ms(tsSec));
      expect(at(line)[1]).toMatchObject({ talkSec, holdSec: 0 });
      expect(at(line)[3]).toMatchObject({ firstContact: false });
      expect(at(line)[4]).toMatchObject({ state: 'ready' });
    };
    transfer(21, 28, 160); // BRIDGE|bridge|hold|call|pos
    transfer(24, 29, 200); // APP|app|hold|call|pos
    transfer(27, 30, 242); // LINK|chan1|chan2|hold|call|pos: one more field
    transfer(30, 30, 282); // exten|context|hold|call (Asterisk 1.4)
  });

  it('makes a call transferred into another queue (same callid) another contact, of that queue', () => {
    expect(at(31)).toMatchObject([{ type: 'contact.offered', contactId: 'ql:1795223050.23:q2', queue: 'q2', ts: ms(283), caller: '13800000009' }]);
    expect(at(32)).toEqual([{ id: 'ql:1795223050.23:q2:abandoned', type: 'contact.abandoned', ts: ms(283 + 7), contactId: 'ql:1795223050.23:q2' }]);
  });

  it('makes one not-ready episode of PAUSEALL and its per-queue PAUSE rows; a new reason restates it at its start', () => {
    const first = { id: `ql:PJSIP/301:${E + 300}:000:not_ready`, type: 'agent.state', ts: ms(300), agentId: 'PJSIP/301', state: 'not_ready', queues: ['q1', 'q2'], reason: 'Lunch', site: 'main' };
    expect(at(33)).toEqual([first]); // "Lunch|": the trailing | is an empty field
    expect(at(34)).toEqual([]);
    expect(at(35)).toEqual([]);
    expect(at(36)).toEqual([{ ...first, id: `${first.id}~001`, reason: 'Meeting' }]);
    expect(at(36)[0].id > first.id && at(36)[0].id < `ql:PJSIP/301:${E + 300}:001`).toBe(true);
    expect(at(37)).toMatchObject([{ state: 'ready', ts: ms(420) }]);
    expect(at(37)[0]).not.toHaveProperty('reason');
    expect([...at(38), ...at(39)]).toEqual([]);
  });

  it('ignores DID, INFO and CONFIGRELOAD', () => {
    expect([...at(40), ...at(41), ...at(42)]).toEqual([]);
  });

  it('orphans the calls still waiting at QUEUESTART', () => {
    expect(at(46)).toEqual([{ id: 'ql:1795223230.25:q1:orphaned', type: 'contact.orphaned', ts: ms(600), contactId: 'ql:1795223230.25:q1', reason: 'pbx_restart' }]);
  });

  it('infers the offer and answer of a call completed after the file began, from its own fields', () => {
    const contactId = 'ql:1795223300.27:q1';
    expect(types(47)).toEqual(['contact.offered', 'contact.answered', 'contact.ended', 'contact.wrapped', 'contact.resolved']);
    expect(at(47)[0]).toEqual({ id: `${contactId}:offered`, type: 'contact.offered', ts: ms(710 - 50 - 4), contactId, queue: 'q1', site: 'main', channel: 'phone' });
    expect(at(47)[1]).toMatchObject({ ts: ms(710 - 50), agentId: 'PJSIP/302' });
    expect(at(47)[2]).toMatchObject({ ts: ms(710), talkSec: 50 });
  });

  it('gives the same events cut anywhere and resumed from the saved state (JSON)', () => {
    const whole = [...byLine.values()].flat();
    for (const cut of [1, 9, 20, 33, 35, 43, 46]) {
      const head = translate(SHAPES.slice(0, cut));
      const state = JSON.parse(JSON.stringify(head.translator.state())) as TranslatorState;
      const tail = translate(SHAPES.slice(cut), new QueueLogTranslator({ mapping: defaultQueueLogMapping(), state }), cut + 1);
      expect([...head.byLine.values(), ...tail.byLine.values()].flat(), `cut after line ${cut}`).toEqual(whole);
    }
  });

  it('maps queues, sites, channels and agents', () => {
    const mapping = { defaultSite: 'hz', queues: { q1: { queue: 'sales', site: 'sh' }, q2: { channel: 'chat' as const } }, agents: { 'PJSIP/301': 'alice' } };
    const mapped = translate(SHAPES, new QueueLogTranslator({ mapping })).byLine;
    expect(mapped.get(6)).toMatchObject([{ queue: 'sales', site: 'sh', channel: 'phone', contactId: 'ql:1795222810.11:q1' }]);
    expect(mapped.get(17)).toMatchObject([{ queue: 'q2', site: 'hz', channel: 'chat' }]);
    expect(mapped.get(9)).toMatchObject([{ agentId: 'alice' }, { agentId: 'alice', queues: ['sales', 'q2'] }]);
    expect(mapped.get(9)![1]).not.toHaveProperty('site'); // its queues are in two sites
  });

  it('makes another contact when the same call enters the same queue again after leaving it', () => {
    const t = new QueueLogTranslator({ mapping: defaultQueueLogMapping() });
    t.push(`${E}|1795222800.9|q1|NONE|ENTERQUEUE||13800000001|1`, 1);
    t.push(`${E + 20}|1795222800.9|q1|NONE|EXITWITHKEY|1|1|1|20`, 2);
    const again = t.push(`${E + 60}|1795222800.9|q1|NONE|ENTERQUEUE||13800000001|1`, 3);
    expect(again).toMatchObject([{ id: 'ql:1795222800.9:q1:2:offered', contactId: 'ql:1795222800.9:q1:2' }]);
    expect(t.push(`${E + 60}|1795222800.9|q1|NONE|ENTERQUEUE||13800000001|1`, 4)).toEqual([]); // the same line again
  });

  it('keeps ids within 128 characters for long queue and member names', () => {
    const t = new QueueLogTranslator({ mapping: defaultQueueLogMapping() });
    const queue = 'q'.repeat(120);
    const member = `PJSIP/${'9'.repeat(100)}`;
    const events = [
      ...t.push(`${E}|1795222800.9|${queue}|NONE|ENTERQUEUE||13800000001|1`, 1),
      ...t.push(`${E + 5}|1795222800.9|${queue}|${member}|CONNECT|5|x|1`, 2),
      ...t.push(`${E + 65}|1795222800.9|${queue}|${member}|TRANSFER|700|ctx|5|60|1`, 3),
    ];
    expect(events.length).toBe(8);
    for (const event of events) expect(event.id.length).toBeLessThanOrEqual(128);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });
});

describe('queue_log text that would not fit our events', () => {
  it('cuts a long pause reason to 128 characters without splitting a character, and keeps a member named __proto__', () => {
    const t = new QueueLogTranslator({ mapping: defaultQueueLogMapping() });
    t.push(`${E}|MANAGER|q1|__proto__|ADDMEMBER|`, 1);
    const [paused] = t.push(`${E + 1}|NONE|q1|__proto__|PAUSE|${'x'.repeat(127)}😀 and more`, 2);
    expect(validateEvent(paused).ok).toBe(true);
    expect((paused as Ev).reason).toBe('x'.repeat(127));
    const state = JSON.parse(JSON.stringify(t.state())) as TranslatorState;
    expect(Object.keys(state.members)).toEqual(['__proto__']);
    const resumed = new QueueLogTranslator({ mapping: defaultQueueLogMapping(), state });
    expect(resumed.push(`${E + 2}|NONE|q1|__proto__|UNPAUSE|`, 3)).toMatchObject([{ agentId: '__proto__', state: 'ready' }]);
  });
});
