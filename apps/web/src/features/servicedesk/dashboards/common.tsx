import type { ReactNode } from 'react';
import { cn } from '../../../lib/cn';
import { Select } from '../../../components/ui/input';
import { formatPercent } from '../../../lib/format';
import { Meter } from '../components';
import { PERIODS, type PeriodDays } from '../search';
import { TARGET_LABEL } from '../sla';

export function PeriodSelect({ days, onChange }: { days: PeriodDays; onChange: (d: PeriodDays) => void }) {
  return (
    <Select aria-label="Period" className="w-40" value={days} onChange={(e) => onChange(Number(e.target.value) as PeriodDays)}>
      {PERIODS.map((d) => (
        <option key={d} value={d}>
          {d === 365 ? 'Last 12 months' : `Last ${d} days`}
        </option>
      ))}
    </Select>
  );
}

type Compliance = Record<string, { met: number; breached: number; percent: number | null }>;

/** SLA compliance per target: the share met in time, with the counts behind it. */
export function ComplianceList({ compliance }: { compliance: Compliance }) {
  return (
    <ul className="flex flex-col gap-4 px-4 py-4" data-testid="compliance">
      {['firstResponse', 'nextResponse', 'resolution'].map((k) => {
        const c = compliance[k] ?? { met: 0, breached: 0, percent: null };
        const tone = c.percent === null ? 'accent' : c.percent >= 90 ? 'green' : c.percent >= 75 ? 'amber' : 'red';
        return (
          <li key={k} className="flex flex-col gap-1.5">
            <div className="flex items-baseline gap-2 text-[13px]">
              <span className="font-medium">{TARGET_LABEL[k]}</span>
              <span className="ml-auto text-lg font-semibold tabular">{c.percent === null ? '—' : formatPercent(c.percent / 100)}</span>
            </div>
            <Meter value={c.percent ?? 0} tone={tone} label={`${TARGET_LABEL[k]} compliance`} />
            <p className="text-xs text-fg-subtle">
              {c.met + c.breached === 0 ? 'No target settled in the period' : `${c.met} met in time · ${c.breached} breached`}
            </p>
          </li>
        );
      })}
    </ul>
  );
}

/** Labelled horizontal bars (backlog by age, top categories). */
export function BarList({ rows, label }: { rows: { label: string; value: number }[]; label: string }) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  return (
    <ul className="flex flex-col gap-2.5 px-4 py-4" aria-label={label}>
      {rows.map((r) => (
        <li key={r.label} className="grid grid-cols-[9rem_1fr_3rem] items-center gap-3 text-[13px]">
          <span className="truncate text-fg-muted" title={r.label}>
            {r.label}
          </span>
          <Meter value={r.value} max={max} label={r.label} />
          <span className="text-right font-medium tabular">{r.value}</span>
        </li>
      ))}
    </ul>
  );
}

/** A plain table with a header row: the dashboards' lists of agents and ratings. */
export function SimpleTable({ columns, children, testId }: { columns: { label: string; right?: boolean }[]; children: ReactNode; testId?: string }) {
  return (
    // A narrow screen scrolls the table inside its card, never the page.
    <div className="overflow-x-auto">
      <table className="w-full text-[13px]" {...(testId ? { 'data-testid': testId } : {})}>
        <thead className="border-b border-line bg-app/60 text-xs text-fg-muted">
          <tr>
            {columns.map((c, i) => (
              <th key={c.label} scope="col" className={cn('py-2 font-medium', i === 0 ? 'pr-3 pl-4' : i === columns.length - 1 ? 'pr-4 pl-3' : 'px-3', c.right ? 'text-right' : 'text-left')}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
