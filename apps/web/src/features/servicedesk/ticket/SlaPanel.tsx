import { useQuery } from '@tanstack/react-query';
import { Timer } from 'lucide-react';
import { api, call } from '../../../lib/api';
import { formatDate, formatDateTime, formatFull, formatRange, timeZone } from '../../../lib/format';
import { Badge } from '../../../components/ui/badge';
import { Card, CardHeader } from '../../../components/ui/card';
import { EmptyState, ErrorState, SkeletonRows } from '../../../components/ui/states';
import { TICKET_PRIORITY_LABEL, TICKET_STATUS_LABEL } from '../labels';
import { calendarsQuery, sdKeys } from '../queries';
import { formatBusinessMs, localizeInstants, TARGET_LABEL, targetBadge } from '../sla';
import type { SlaExplanation, TicketPriority, TicketStatus } from '../types';

type Target = SlaExplanation['targets'][number];

/** The latest cycle of each target (a reopened ticket starts a new resolution cycle). */
function current(targets: Target[]): Target[] {
  const last = new Map<string, Target>();
  for (const t of targets) {
    const had = last.get(t.target);
    if (!had || t.cycle >= had.cycle) last.set(t.target, t);
  }
  return ['firstResponse', 'nextResponse', 'resolution'].map((k) => last.get(k)).filter((t): t is Target => !!t);
}

function TargetRow({ t, now }: { t: Target; now: number }) {
  const b = targetBadge(t, now);
  return (
    <li className="flex flex-col gap-1 px-4 py-2.5" data-testid="sla-target" data-state={t.state}>
      <div className="flex items-center gap-2">
        <span className="text-[13px] font-medium">{TARGET_LABEL[t.target] ?? t.target}</span>
        {t.cycle > 0 ? <span className="text-xs text-fg-subtle">cycle {t.cycle + 1}</span> : null}
        <span className="ml-auto">
          <Badge tone={b.tone} dot>
            {b.label}
          </Badge>
        </span>
      </div>
      <p className="text-xs text-fg-muted">
        {t.achievedAt ? (
          <>Met {formatDateTime(t.achievedAt)} · </>
        ) : t.dueAt ? (
          <>
            Due <time title={formatFull(t.dueAt)}>{formatDateTime(t.dueAt)}</time> ·{' '}
          </>
        ) : null}
        {formatBusinessMs(t.elapsedBusinessMs)} of {formatBusinessMs(t.goalMinutes * 60_000)} business time
        {t.pausedBusinessMs >= 60_000 ? ` · paused ${formatBusinessMs(t.pausedBusinessMs)}` : ''}
      </p>
    </li>
  );
}

function Explain({ sla }: { sla: SlaExplanation }) {
  const intervals = sla.calendar.intervals;
  const calendars = useQuery(calendarsQuery).data ?? [];
  const calendarName = sla.calendar.id === '24x7' ? 'always open (24/7)' : (calendars.find((c) => c.id === sla.calendar.id)?.name ?? 'a business calendar');
  return (
    <details className="group border-t border-line px-4 py-3 text-[13px]" data-testid="sla-explain">
      <summary className="cursor-pointer rounded text-xs font-medium text-accent select-none hover:underline">Explain how these were computed</summary>
      <div className="mt-3 flex flex-col gap-4">
        <p className="text-xs text-fg-muted">
          Policy <strong className="text-fg">{sla.ticket.policyName ?? 'none'}</strong>, calendar{' '}
          <strong className="text-fg">{calendarName}</strong> in {sla.calendar.timeZone}. Times below are in your time zone ({timeZone}).
        </p>
        <section>
          <h4 className="mb-1 text-xs font-semibold text-fg-muted">Targets</h4>
          <ul className="flex flex-col gap-2">
            {sla.targets.map((t) => (
              <li key={`${t.target}:${t.cycle}`} className="rounded-md bg-app px-2.5 py-2 text-xs">
                <p className="font-medium">
                  {TARGET_LABEL[t.target] ?? t.target}
                  {t.cycle > 0 ? ` (cycle ${t.cycle + 1})` : ''}: {t.goalMinutes} business min at {TICKET_PRIORITY_LABEL[t.priority as TicketPriority] ?? t.priority} priority
                </p>
                <p className="mt-0.5 text-fg-muted">{localizeInstants(t.derivation, formatDateTime)}</p>
                {t.warnings.length ? (
                  <p className="mt-0.5 text-fg-subtle">
                    Warnings: {t.warnings.map((w) => `${Math.round(w.threshold * 100)}% ${w.reached ? 'reached' : 'at'} ${formatDateTime(w.at)}`).join(' · ')}
                  </p>
                ) : null}
              </li>
            ))}
          </ul>
        </section>
        {sla.targetChanges.length > 1 ? (
          <section>
            <h4 className="mb-1 text-xs font-semibold text-fg-muted">Target changes</h4>
            <ul className="flex flex-col gap-0.5 text-xs text-fg-muted">
              {sla.targetChanges.map((c) => (
                <li key={c.at + c.policyId + c.priority}>
                  {formatDateTime(c.at)}: {c.policyName}, {TICKET_PRIORITY_LABEL[c.priority as TicketPriority] ?? c.priority} priority
                </li>
              ))}
            </ul>
          </section>
        ) : null}
        <section>
          <h4 className="mb-1 text-xs font-semibold text-fg-muted">Pauses</h4>
          {sla.pauses.length === 0 ? (
            <p className="text-xs text-fg-subtle">None: the clocks never stopped.</p>
          ) : (
            <ul className="flex flex-col gap-0.5 text-xs text-fg-muted" data-testid="sla-pauses">
              {sla.pauses.map((p) => (
                <li key={p.start}>
                  {TICKET_STATUS_LABEL[p.status as TicketStatus] ?? p.status}: {p.end ? formatRange(p.start, p.end) : `since ${formatDateTime(p.start)}`} ({formatBusinessMs(p.businessMs)} of business time)
                </li>
              ))}
            </ul>
          )}
        </section>
        <section>
          <h4 className="mb-1 text-xs font-semibold text-fg-muted">Business hours used</h4>
          <ul className="flex max-h-48 flex-col gap-0.5 overflow-y-auto text-xs text-fg-muted tabular" data-testid="sla-intervals">
            {intervals.map((i) => (
              <li key={i.start}>
                {formatRange(i.start, i.end)} · {formatBusinessMs(i.businessMs)}
              </li>
            ))}
          </ul>
          {sla.calendar.truncated ? <p className="mt-1 text-xs text-fg-subtle">Only the first {intervals.length} intervals are listed.</p> : null}
          {sla.calendar.holidays.length ? (
            <p className="mt-1 text-xs text-fg-subtle">Holidays in the span: {sla.calendar.holidays.map((h) => `${formatDate(h.date + 'T12:00:00Z')}${h.name ? ` (${h.name})` : ''}`).join(', ')}</p>
          ) : null}
        </section>
      </div>
    </details>
  );
}

/** Each SLA target with its state and due time, and the engine's explanation on demand. */
export function SlaPanel({ ticketId, now }: { ticketId: string; now: number }) {
  const q = useQuery({
    queryKey: sdKeys.sla(ticketId),
    queryFn: async () => (await call(api.GET('/api/tickets/{id}/sla', { params: { path: { id: ticketId } } }))).sla,
  });
  return (
    <Card aria-labelledby="sla-title">
      <CardHeader id="sla-title" title="SLA" description={q.data ? `${q.data.ticket.policyName ?? 'Policy'} · evaluated ${formatDateTime(q.data.evaluatedAt)}` : undefined} />
      {q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : q.isLoading ? (
        <SkeletonRows rows={2} />
      ) : !q.data ? (
        <EmptyState icon={<Timer />} title="No SLA applies" description="No policy matches this ticket, so no clock runs." className="py-6" />
      ) : (
        <>
          {current(q.data.targets).length === 0 ? (
            <p className="px-4 py-3 text-[13px] text-fg-muted">
              {q.data.ticket.policyName ?? 'The policy'} sets no target for {(TICKET_PRIORITY_LABEL[q.data.ticket.priority as TicketPriority] ?? q.data.ticket.priority).toLowerCase()} priority, so no clock runs.
            </p>
          ) : (
            <ul className="divide-y divide-line" data-testid="sla-targets">
              {current(q.data.targets).map((t) => (
                <TargetRow key={t.target} t={t} now={now} />
              ))}
            </ul>
          )}
          <Explain sla={q.data} />
        </>
      )}
    </Card>
  );
}
