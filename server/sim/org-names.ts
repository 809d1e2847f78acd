/**
 * The names the demo simulator ships into the org directory (issue 11): its city sites, the
 * seat types as queues, its channels and its teams (`hangzhou-back_office-1` is
 * 杭州综合解决1组 / Hangzhou Back office team 1). Written when the demo starts and by
 * `simulate --history`; names an admin edited are kept (OrgDirectory.ship).
 */
import { BUILTIN_NAMES, type OrgKind } from '../../shared/org.ts';
import { SEAT_TYPES } from '../../shared/seat-types.ts';
import { SIM_CHANNELS, SITES, type GroupId } from './org.ts';
import { planStaffing } from './roster.ts';

export interface ShippedName {
  kind: OrgKind;
  id: string;
  zh: string;
  en: string;
}

/** Skill groups by name: the seat types, and the written-channel team. */
const GROUP_NAMES: Record<GroupId, { zh: string; en: string }> = {
  ...(Object.fromEntries(SEAT_TYPES.map((s) => [s.id, { zh: s.zh, en: s.en }])) as Record<Exclude<GroupId, 'digital'>, { zh: string; en: string }>),
  digital: { zh: '数字渠道', en: 'Digital' },
};

/** Every name the simulator with `agentCount` agents uses. */
export function simulatorNames(agentCount: number): ShippedName[] {
  const out: ShippedName[] = [];
  for (const site of SITES) out.push({ kind: 'site', id: site.id, ...BUILTIN_NAMES.site[site.id] });
  for (const seat of SEAT_TYPES) out.push({ kind: 'queue', id: seat.id, zh: seat.zh, en: seat.en });
  for (const channel of SIM_CHANNELS) out.push({ kind: 'channel', id: channel, ...BUILTIN_NAMES.channel[channel] });
  const teams = new Map<string, ShippedName>();
  for (const agent of planStaffing(agentCount).agents) {
    if (teams.has(agent.team)) continue;
    const site = BUILTIN_NAMES.site[agent.site];
    const group = GROUP_NAMES[agent.group];
    const number = agent.team.slice(agent.team.lastIndexOf('-') + 1);
    teams.set(agent.team, { kind: 'team', id: agent.team, zh: `${site.zh}${group.zh}${number}组`, en: `${site.en} ${group.en} team ${number}` });
  }
  out.push(...[...teams.values()].sort((a, b) => (a.id < b.id ? -1 : 1)));
  return out;
}
