import type { ReactNode } from 'react';
import { cn } from '../../lib/cn';
import type { OperationStatus, Priority, Severity } from '../../lib/types';

export type Tone = 'neutral' | 'accent' | 'green' | 'amber' | 'red' | 'blue' | 'orange' | 'violet';
const tones: Record<Tone, string> = {
  neutral: 'bg-hover text-fg-muted ring-line',
  accent: 'bg-accent-soft text-accent-soft-fg ring-accent/20',
  green: 'bg-emerald-500/10 text-emerald-700 ring-emerald-600/20 dark:text-emerald-300',
  amber: 'bg-amber-500/12 text-amber-800 ring-amber-600/25 dark:text-amber-300',
  red: 'bg-red-500/10 text-red-700 ring-red-600/20 dark:text-red-300',
  blue: 'bg-sky-500/10 text-sky-700 ring-sky-600/20 dark:text-sky-300',
  orange: 'bg-orange-500/12 text-orange-800 ring-orange-600/25 dark:text-orange-300',
  violet: 'bg-violet-500/10 text-violet-700 ring-violet-600/20 dark:text-violet-300',
};
const dots: Record<Tone, string> = {
  neutral: 'bg-zinc-400',
  accent: 'bg-accent',
  green: 'bg-emerald-500',
  amber: 'bg-amber-500',
  red: 'bg-red-500',
  blue: 'bg-sky-500',
  orange: 'bg-orange-500',
  violet: 'bg-violet-500',
};

export function Badge({ tone = 'neutral', dot, children, className }: { tone?: Tone; dot?: boolean; children: ReactNode; className?: string }) {
  return (
    <span className={cn('inline-flex h-5 items-center gap-1.5 rounded-full px-2 text-[11.5px] font-medium whitespace-nowrap ring-1 ring-inset', tones[tone], className)}>
      {dot ? <span className={cn('size-1.5 rounded-full', dots[tone])} aria-hidden="true" /> : null}
      {children}
    </span>
  );
}

export const STATUS_LABEL: Record<OperationStatus, string> = { pending: 'Pending', in_progress: 'In progress', completed: 'Completed', failed: 'Failed' };
export const STATUS_TONE: Record<OperationStatus, Tone> = { pending: 'neutral', in_progress: 'blue', completed: 'green', failed: 'red' };
export const STATUS_COLOR: Record<OperationStatus, string> = { pending: 'bg-zinc-400 dark:bg-zinc-500', in_progress: 'bg-sky-500', completed: 'bg-emerald-500', failed: 'bg-red-500' };
export function StatusBadge({ status }: { status: OperationStatus }) {
  return (
    <Badge tone={STATUS_TONE[status]} dot>
      {STATUS_LABEL[status]}
    </Badge>
  );
}

export const PRIORITY_LABEL: Record<Priority, string> = { low: 'Low', medium: 'Medium', high: 'High', critical: 'Critical' };
const PRIORITY_BARS: Record<Priority, number> = { low: 1, medium: 2, high: 3, critical: 4 };
export function PriorityLabel({ priority }: { priority: Priority }) {
  return <PriorityBars level={PRIORITY_BARS[priority]} colour={priority === 'critical' ? 'red' : priority === 'high' ? 'orange' : 'muted'} label={PRIORITY_LABEL[priority]} />;
}

/** A priority as 1–4 rising bars and its label (operations and service desk tickets). */
export function PriorityBars({ level, colour, label }: { level: number; colour: 'red' | 'orange' | 'muted'; label: string }) {
  const fill = colour === 'red' ? 'bg-red-500' : colour === 'orange' ? 'bg-orange-500' : 'bg-fg-muted';
  return (
    <span className="inline-flex items-center gap-1.5 text-[13px] text-fg-muted">
      <span className="flex h-3 items-end gap-px" aria-hidden="true">
        {[1, 2, 3, 4].map((i) => (
          <span key={i} className={cn('w-[3px] rounded-[1px]', i <= level ? fill : 'bg-line-strong')} style={{ height: `${i * 25}%` }} />
        ))}
      </span>
      {label}
    </span>
  );
}

export const SEVERITY_TONE: Record<Severity, Tone> = { critical: 'red', major: 'orange', minor: 'amber', warning: 'blue' };
export const SEVERITY_LABEL: Record<Severity, string> = { critical: 'Critical', major: 'Major', minor: 'Minor', warning: 'Warning' };
export function SeverityBadge({ severity }: { severity: Severity }) {
  return (
    <Badge tone={SEVERITY_TONE[severity]} dot>
      {SEVERITY_LABEL[severity]}
    </Badge>
  );
}
