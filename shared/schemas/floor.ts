/**
 * Bodies of the duty manager's floor actions (issue 5, issue 10): screen layouts, visitor mode,
 * broadcasts and alert acknowledgements. A layout's own fields are checked by
 * shared/layouts.ts (`parseScreenLayout`), which the wallboard shares.
 */
import { z } from 'zod';
import { MAX_ACK_NOTE_CHARS, MAX_BROADCAST_CHARS, MAX_BROADCAST_SEC } from '../alerts.ts';

export const MAX_SCREEN_NAME_CHARS = 128;
export const MAX_SCREENS_PER_REQUEST = 500;
/** Control characters other than tab and line breaks: not for a note shown to people. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

const screenRule = `a screen name of 1 to ${MAX_SCREEN_NAME_CHARS} characters`;
export const screenName = z.string({ error: screenRule }).min(1, screenRule).max(MAX_SCREEN_NAME_CHARS, screenRule);

const screensRule = `"all" or a list of 1 to ${MAX_SCREENS_PER_REQUEST} screen names`;
/** "all", or a list of screen names (repeats removed). */
export const screenList = z.union([z.literal('all'), z.array(screenName).min(1, screensRule).max(MAX_SCREENS_PER_REQUEST, screensRule)], { error: screensRule }).transform((value) => (value === 'all' ? 'all' : [...new Set(value)]));

const idOf = (what: string) => z.string({ error: `the id of ${what}` }).min(1, `the id of ${what}`).max(64, `the id of ${what}`);

export const screenLayoutBody = z.object({
  screen: screenName,
  layout: z.union([z.null(), z.record(z.string(), z.unknown())], { error: 'an object {layouts, scope, lang, rotateSec}, or null to remove the assignment' }),
});
export type ScreenLayoutBody = z.input<typeof screenLayoutBody>;

export const visitorModeBody = z.object({
  on: z.boolean({ error: 'true or false' }),
  screens: screenList,
});
export type VisitorModeBody = z.input<typeof visitorModeBody>;

const textRule = `1 to ${MAX_BROADCAST_CHARS} characters`;
const durationRule = `a whole number of seconds from 5 to ${MAX_BROADCAST_SEC}`;
export const broadcastBody = z.object({
  text: z.string({ error: textRule }).trim().min(1, textRule).max(MAX_BROADCAST_CHARS, textRule),
  screens: screenList.default('all'),
  durationSec: z.int({ error: durationRule }).min(5, durationRule).max(MAX_BROADCAST_SEC, durationRule),
});
export type BroadcastBody = z.input<typeof broadcastBody>;

export const broadcastWithdrawBody = z.object({ id: idOf('a broadcast') });
export type BroadcastWithdrawBody = z.input<typeof broadcastWithdrawBody>;

/** The acknowledgement note: absent, null or blank is none; text is bounded and never echoed. */
export const ackNote = z
  .string({ error: `text of at most ${MAX_ACK_NOTE_CHARS} characters` })
  .trim()
  .max(MAX_ACK_NOTE_CHARS, `at most ${MAX_ACK_NOTE_CHARS} characters`)
  .refine((note) => !CONTROL.test(note), 'must not contain control characters')
  .nullish()
  .transform((note) => (note ? note : null));

export const alertAckBody = z.object({ id: idOf('an alert or an incident'), note: ackNote });
export type AlertAckBody = z.input<typeof alertAckBody>;
