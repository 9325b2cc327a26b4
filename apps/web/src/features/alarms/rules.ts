import type { AlertRule, AlertRuleInput, Severity } from '../../lib/types';

export type RuleKind = AlertRule['kind'];

export const KIND_LABEL: Record<RuleKind, string> = {
  threshold: 'Threshold',
  rate_of_change: 'Rate of change',
  anomaly: 'Anomaly score',
  no_data: 'No data',
};

/** What each kind reads, as the API checks it (apps/server/src/modules/telemetry/alarms.service.ts, checkRule). */
export const KIND_HELP: Record<RuleKind, string> = {
  threshold: 'Raises while the value is above (or below) the threshold for the duration.',
  rate_of_change: 'Raises when the value changes faster than the threshold per second, up or down (0 or more).',
  anomaly: 'Raises when the anomaly score (0 to 1) reaches the threshold, which must be above 0.',
  no_data: 'Raises when a source sends nothing for longer than the duration.',
};

export interface RuleForm {
  name: string;
  metric: string;
  kind: RuleKind;
  direction: '' | 'above' | 'below';
  threshold: string;
  durationSeconds: string;
  severity: Severity;
  enabled: boolean;
  deviceId: string;
  operationId: string;
}

export const emptyRule: RuleForm = { name: '', metric: '', kind: 'threshold', direction: 'above', threshold: '', durationSeconds: '0', severity: 'major', enabled: true, deviceId: '', operationId: '' };

export const ruleToForm = (r: AlertRule): RuleForm => ({
  name: r.name,
  metric: r.metric,
  kind: r.kind,
  direction: r.direction ?? '',
  threshold: r.threshold == null ? '' : String(r.threshold),
  durationSeconds: String(r.durationSeconds),
  severity: r.severity,
  enabled: r.enabled,
  deviceId: r.deviceId ?? '',
  operationId: r.operationId ?? '',
});

/** Fields that are not numbers, before anything is sent (the API says the rest). */
export function numberErrors(f: RuleForm): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.kind !== 'no_data' && f.threshold.trim() !== '' && !Number.isFinite(Number(f.threshold))) out.threshold = 'A number, e.g. 90 or 0.5';
  const d = f.durationSeconds.trim();
  if (d !== '' && !(Number.isInteger(Number(d)) && Number(d) >= 0)) out.durationSeconds = 'Whole seconds, 0 or more';
  return out;
}

/**
 * The body the API takes: each kind sends only what it reads, so a change of kind clears the
 * fields that no longer apply (a direction on a rate of change is refused).
 */
export function ruleBody(f: RuleForm): AlertRuleInput {
  const threshold = f.kind === 'no_data' || f.threshold.trim() === '' ? null : Number(f.threshold);
  return {
    name: f.name.trim(),
    metric: f.metric.trim(),
    kind: f.kind,
    direction: f.kind === 'threshold' ? f.direction || null : null,
    threshold,
    durationSeconds: f.durationSeconds.trim() === '' ? 0 : Number(f.durationSeconds),
    severity: f.severity,
    enabled: f.enabled,
    deviceId: f.deviceId || null,
    operationId: f.operationId || null,
  };
}

export function formatDuration(seconds: number): string {
  if (seconds === 0) return '';
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** The condition in words, e.g. “above 90 for 5 min”. */
export function describeRule(r: Pick<AlertRule, 'kind' | 'direction' | 'threshold' | 'durationSeconds'>): string {
  const d = formatDuration(r.durationSeconds);
  const forD = d ? ` for ${d}` : '';
  switch (r.kind) {
    case 'threshold':
      return `${r.direction ?? 'above'} ${r.threshold}${forD}`;
    case 'rate_of_change':
      return `changes faster than ${r.threshold}/s${forD}`;
    case 'anomaly':
      return `anomaly score ≥ ${r.threshold}${forD}`;
    case 'no_data':
      return `silent for more than ${d || '0 s'}`;
  }
}
