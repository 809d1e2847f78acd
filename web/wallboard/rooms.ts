/** The Socket.IO rooms the wallboard page shows (SPEC §6: `<scope>@<window>`). */

export const CENTRE_TODAY = 'centre@today';
export const CENTRE_15M = 'centre@15m';
export const QUEUES_TODAY = 'queue:*@today';

export const WALLBOARD_ROOMS = [CENTRE_TODAY, CENTRE_15M, QUEUES_TODAY] as const;
