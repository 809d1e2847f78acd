/**
 * The seat types (skills) of a provincial hotline, manual 003 §4.2, as queue ids with their
 * names, in the order a floor is used to reading them. Queues with other ids work everywhere;
 * these are the ones the demo simulates and the wallboard names in both languages.
 */
export const SEAT_TYPES = [
  { id: 'general', zh: '综合业务', en: 'General' },
  { id: 'customer', zh: '客户业务', en: 'Customer' },
  { id: 'value_added', zh: '增值业务', en: 'Value-added' },
  { id: 'brand', zh: '品牌', en: 'Brand' },
  { id: 'vip', zh: 'VIP会员', en: 'VIP members' },
  { id: 'complaints', zh: '投诉', en: 'Complaints' },
  { id: 'internal_help', zh: '内部求助', en: 'Internal help' },
  { id: 'back_office', zh: '综合解决', en: 'Back office' },
] as const;

export type SeatTypeId = (typeof SEAT_TYPES)[number]['id'];

export const SEAT_TYPE_IDS = SEAT_TYPES.map((s) => s.id) as readonly SeatTypeId[];
