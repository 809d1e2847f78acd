/**
 * Targets and thresholds (SPEC §5) with the colours and shapes a wallboard shows. Status is
 * readable without colour: every status also has its own icon.
 */
import type { KpiName } from './kpi.ts';

export type Status = 'green' | 'amber' | 'red' | 'none';

export interface Threshold {
  /** The target shown next to the figure. */
  target: number;
  /** 'min': higher is better (amber below `amber`, red below `red`); 'max': lower is better. */
  kind: 'min' | 'max';
  amber: number;
  red: number;
}

/** Defaults of SPEC §5. Ratios are fractions 0..1, times in seconds. */
export const DEFAULT_THRESHOLDS: Partial<Record<KpiName, Threshold>> = {
  serviceLevel: { target: 0.9, kind: 'min', amber: 0.9, red: 0.8 },
  answerRate: { target: 0.95, kind: 'min', amber: 0.95, red: 0.9 },
  abandonRate: { target: 0.05, kind: 'max', amber: 0.05, red: 0.1 },
  asaSec: { target: 30, kind: 'max', amber: 30, red: 60 },
  fcr: { target: 0.95, kind: 'min', amber: 0.95, red: 0.85 },
  csat: { target: 0.9, kind: 'min', amber: 0.9, red: 0.8 },
  closureRate: { target: 0.95, kind: 'min', amber: 0.95, red: 0.85 },
  longestWaitSec: { target: 60, kind: 'max', amber: 60, red: 120 },
  // Callers waiting right now (issue 14: the floor's first figure, coloured). Not in SPEC §5: a
  // handful waiting is normal, ten is a queue the floor must act on. Editable as a target version.
  inQueue: { target: 5, kind: 'max', amber: 5, red: 10 },
  // Not-ready episodes (manual 003): any agent over 5 minutes is red, there is no amber band.
  agentsNotReadyOverLimit: { target: 0, kind: 'max', amber: 0, red: 0 },
};

/** Status of a value against its threshold; 'none' when there is no value or no threshold. */
export function statusOf(value: number | null, threshold: Threshold | undefined): Status {
  if (value === null || threshold === undefined) return 'none';
  if (threshold.kind === 'min') {
    if (value < threshold.red) return 'red';
    if (value < threshold.amber) return 'amber';
    return 'green';
  }
  if (value > threshold.red) return 'red';
  if (value > threshold.amber) return 'amber';
  return 'green';
}

/** High-contrast colours on the dark TV theme, and an icon per status for colour-blind readers. */
export const STATUS_STYLE: Record<Status, { colour: string; icon: string }> = {
  green: { colour: '#2ee66b', icon: '✔' },
  amber: { colour: '#ffc21a', icon: '▲' },
  red: { colour: '#ff4d4d', icon: '✖' },
  none: { colour: '#c8d0dc', icon: '' },
};
