import { useState } from 'react';
import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { RadioGroup } from 'radix-ui';
import { ShieldCheck, Star, Users } from 'lucide-react';
import { api, call } from '../../../lib/api';
import { cn } from '../../../lib/cn';
import { formatDateTime, formatFull, formatNumber } from '../../../lib/format';
import { can } from '../../../lib/permissions';
import { errorFor, fieldErrors } from '../../../lib/problem';
import { useMe, useUserNames } from '../../../lib/queries';
import { toast } from '../../../lib/toast';
import { useTopic } from '../../../app/realtime';
import { Badge } from '../../../components/ui/badge';
import { Button } from '../../../components/ui/button';
import { Card, CardHeader } from '../../../components/ui/card';
import { Dialog } from '../../../components/ui/dialog';
import { Field, Input, Select, Textarea } from '../../../components/ui/input';
import { Page, PageHeader, useDocumentTitle } from '../../../components/ui/page';
import { Banner, EmptyState, errorMessage, ErrorState, Skeleton, SkeletonRows } from '../../../components/ui/states';
import { Stat } from '../components';
import { sdKeys, sinceDays, useAgents, useTeams } from '../queries';
import type { PeriodDays } from '../search';
import { TARGET_LABEL } from '../sla';
import { ComplianceList, PeriodSelect, SimpleTable } from './common';

const managerDeskRoute = getRouteApi('/app/servicedesk/manager');

const thisMonth = () => new Date().toISOString().slice(0, 7);
const monthFormat = new Intl.DateTimeFormat(undefined, { month: 'short', year: 'numeric', timeZone: 'UTC' });
/** "2026-11" → "Nov 2026". */
const formatMonth = (period: string) => (/^\d{4}-\d{2}$/.test(period) ? monthFormat.format(new Date(`${period}-15T00:00:00Z`)) : period);
const hours = (h: number | null) => (h === null ? '—' : h * 60 < 1 ? '< 1 min' : h < 1 ? `${Math.round(h * 60)} min` : `${formatNumber(Math.round(h * 10) / 10)} h`);

function Stars({ score }: { score: number }) {
  return (
    <span className="inline-flex items-center gap-0.5" aria-label={`${score} out of 5`}>
      {[1, 2, 3, 4, 5].map((i) => (
        <Star key={i} className={cn('size-3.5', i <= score ? 'fill-amber-400 text-amber-400' : 'text-line-strong')} aria-hidden="true" />
      ))}
    </span>
  );
}

/** A manager rates an agent 1–5 for a month (a new rating for the same month replaces the last). */
function RateDialog({ open, onOpenChange, agents, initialAgent }: { open: boolean; onOpenChange: (o: boolean) => void; agents: { id: string; name: string }[]; initialAgent?: string }) {
  const qc = useQueryClient();
  const [agentId, setAgentId] = useState(initialAgent ?? '');
  const [period, setPeriod] = useState(thisMonth());
  const [score, setScore] = useState('');
  const [comment, setComment] = useState('');
  const rate = useMutation({
    mutationFn: () => call(api.PUT('/api/servicedesk/ratings', { body: { agentId, period, score: Number(score), ...(comment.trim() ? { comment: comment.trim() } : {}) } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: sdKeys.dashboards });
      void qc.invalidateQueries({ queryKey: sdKeys.ratings });
      toast('Rating saved', { tone: 'success', description: agents.find((a) => a.id === agentId)?.name });
      onOpenChange(false);
    },
  });
  const errors = fieldErrors(rate.error);
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title="Rate an agent"
      description="A score from 1 to 5 for a month, with a comment. Rating the same month again replaces it."
      footer={
        <>
          <Button onClick={() => onOpenChange(false)}>Cancel</Button>
          <Button variant="primary" onClick={() => rate.mutate()} loading={rate.isPending} disabled={!agentId || !score}>
            Save rating
          </Button>
        </>
      }
    >
      <div className="flex flex-col gap-3">
        <Field label="Agent" error={errorFor(errors, 'agentId')} required>
          <Select value={agentId} onChange={(e) => setAgentId(e.target.value)}>
            <option value="">Choose…</option>
            {agents.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Month" error={errorFor(errors, 'period')} required>
          <Input type="month" value={period} onChange={(e) => setPeriod(e.target.value)} max={thisMonth()} />
        </Field>
        <fieldset>
          <legend className="mb-1.5 text-[13px] font-medium">Score</legend>
          <RadioGroup.Root value={score} onValueChange={setScore} className="flex gap-1.5" aria-label="Score">
            {[1, 2, 3, 4, 5].map((n) => (
              <RadioGroup.Item
                key={n}
                value={String(n)}
                aria-label={`${n} out of 5`}
                className="flex size-9 items-center justify-center rounded-md border border-line bg-surface text-[13px] font-semibold hover:bg-hover data-[state=checked]:border-amber-500 data-[state=checked]:bg-amber-500/15 data-[state=checked]:text-amber-800 dark:data-[state=checked]:text-amber-300"
              >
                {n}
              </RadioGroup.Item>
            ))}
          </RadioGroup.Root>
          {errorFor(errors, 'score') ? <p className="mt-1 text-xs text-red-600 dark:text-red-400">{errorFor(errors, 'score')}</p> : null}
        </fieldset>
        <Field label="Comment" error={errorFor(errors, 'comment')}>
          <Textarea value={comment} onChange={(e) => setComment(e.target.value)} rows={3} maxLength={2000} />
        </Field>
        {rate.error && !Object.keys(errors).length ? <Banner>{errorMessage(rate.error)}</Banner> : null}
      </div>
    </Dialog>
  );
}

export function ManagerDashboardPage() {
  useDocumentTitle('Team');
  const me = useMe();
  useTopic('tickets');
  const search = managerDeskRoute.useSearch();
  const navigate = useNavigate({ from: '/servicedesk/manager' });
  const days: PeriodDays = search.days ?? 30;
  const names = useUserNames();
  const teams = useTeams();
  const agents = useAgents(names);
  const [rating, setRating] = useState<string | null>(null);
  const q = useQuery({
    queryKey: sdKeys.dashboard('manager', { days, teamId: search.teamId }),
    queryFn: () => call(api.GET('/api/servicedesk/dashboards/manager', { params: { query: { from: sinceDays(days), ...(search.teamId ? { teamId: search.teamId } : {}) } } })),
    placeholderData: (prev) => prev,
  });
  const d = q.data;
  const name = (id: string | null) => (id ? (names.get(id) ?? 'Another agent') : 'Unassigned');
  const visibleTeams = d?.teams === null || !d ? teams : teams.filter((t) => d.teams!.includes(t.id));
  const rateable = agents.filter((a) => a.id !== me.id && (!d?.teams || teams.some((t) => d.teams!.includes(t.id) && t.members.some((m) => m.userId === a.id))));
  const set = (patch: { days?: PeriodDays; teamId?: string | undefined }) =>
    void navigate({ search: (prev) => Object.fromEntries(Object.entries({ ...prev, ...patch }).filter(([k, v]) => v !== undefined && !(k === 'days' && v === 30))), replace: true });

  return (
    <Page>
      <PageHeader
        title="Team"
        description="Workload, SLA compliance, breaches and escalations, response times and ratings of your teams."
        actions={
          <>
            <Select aria-label="Team" className="w-44" value={search.teamId ?? ''} onChange={(e) => set({ teamId: e.target.value || undefined })}>
              <option value="">{can(me, 'servicedesk:analytics', 'any') ? 'All teams' : 'My teams'}</option>
              {visibleTeams.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </Select>
            <PeriodSelect days={days} onChange={(v) => set({ days: v })} />
            {can(me, 'ratings:manage') ? (
              <Button variant="primary" onClick={() => setRating('')}>
                <Star aria-hidden="true" /> Rate an agent
              </Button>
            ) : null}
          </>
        }
      />
      {q.error && !d ? (
        <Card as="div">
          <ErrorState error={q.error} onRetry={() => void q.refetch()} />
        </Card>
      ) : (
        <div className="flex flex-col gap-4">
          <div className="grid grid-cols-2 gap-3 lg:grid-cols-4">
            <Stat label="Open tickets" value={d ? formatNumber(d.workload.reduce((n, w) => n + w.open, 0)) : <Skeleton className="h-8 w-12" />} />
            <Stat label="Due within 4 h" value={d ? formatNumber(d.workload.reduce((n, w) => n + w.dueSoon, 0)) : <Skeleton className="h-8 w-12" />} />
            <Stat label="SLA breaches" value={d ? formatNumber(d.breaches.breach ?? 0) : <Skeleton className="h-8 w-12" />} {...((d?.breaches.breach ?? 0) > 0 ? { tone: 'red' as const } : {})} hint={`Last ${days} days`} />
            <Stat label="Escalations" value={d ? formatNumber(d.breaches.escalation ?? 0) : <Skeleton className="h-8 w-12" />} {...((d?.breaches.escalation ?? 0) > 0 ? { tone: 'amber' as const } : {})} hint={`Last ${days} days`} />
          </div>

          <div className="grid grid-cols-1 gap-4 xl:grid-cols-[22rem_minmax(0,1fr)]">
            <Card aria-labelledby="compliance-title">
              <CardHeader id="compliance-title" title="SLA compliance" description="Targets met in time, tickets created in the period" />
              {d ? <ComplianceList compliance={d.compliance} /> : <SkeletonRows rows={3} />}
            </Card>
            <Card aria-labelledby="breaches-title">
              <CardHeader id="breaches-title" title="Breaches and escalations" description="The latest 20" />
              {!d ? (
                <SkeletonRows rows={4} />
              ) : d.recentBreaches.length === 0 ? (
                <EmptyState icon={<ShieldCheck />} title="No breaches" description="Every SLA target of your teams was met so far." />
              ) : (
                <ul className="max-h-80 divide-y divide-line overflow-y-auto" data-testid="recent-breaches">
                  {d.recentBreaches.map((b) => (
                    <li key={`${String(b.ticketId)}:${String(b.kind)}:${String(b.target)}:${String(b.level)}:${String(b.at)}`} className="flex items-center gap-3 px-4 py-2.5 text-[13px]">
                      <Badge tone={b.kind === 'breach' ? 'red' : 'amber'} dot>
                        {b.kind === 'breach' ? 'Breach' : 'Escalation'}
                      </Badge>
                      <Link to="/tickets/$ticketId" params={{ ticketId: String(b.ticketId) }} className="min-w-0 flex-1 truncate hover:underline">
                        <span className="text-fg-subtle tabular">#{String(b.number)}</span> {String(b.subject)}
                      </Link>
                      <span className="text-xs whitespace-nowrap text-fg-muted">{TARGET_LABEL[String(b.target)] ?? String(b.target)}</span>
                      <time className="w-36 text-right text-xs text-fg-subtle" dateTime={String(b.at)} title={formatFull(String(b.at))}>
                        {formatDateTime(String(b.at))}
                      </time>
                    </li>
                  ))}
                </ul>
              )}
            </Card>
          </div>

          <div className="grid grid-cols-1 gap-4 xl:grid-cols-2">
            <Card aria-labelledby="workload-title">
              <CardHeader id="workload-title" title="Workload" description="Open tickets per agent now" />
              {!d ? (
                <SkeletonRows rows={3} />
              ) : d.workload.length === 0 ? (
                <EmptyState icon={<Users />} title="No open tickets" />
              ) : (
                <SimpleTable columns={[{ label: 'Agent' }, { label: 'Open', right: true }, { label: 'Due within 4 h', right: true }]} testId="workload">
                    {d.workload.map((w) => (
                      <tr key={w.agentId ?? 'none'} className="border-b border-line last:border-0">
                        <td className={cn('px-4 py-2', !w.agentId && 'text-fg-muted italic')}>{name(w.agentId)}</td>
                        <td className="px-3 py-2 text-right tabular">{w.open}</td>
                        <td className={cn('px-4 py-2 text-right tabular', w.dueSoon > 0 && 'font-medium text-amber-700 dark:text-amber-300')}>{w.dueSoon}</td>
                      </tr>
                    ))}
                  </SimpleTable>
              )}
            </Card>
            <Card aria-labelledby="agents-title">
              <CardHeader id="agents-title" title="Response and resolution times" description="Averages per agent, tickets created in the period (business hours, then wall-clock)" />
              {!d ? (
                <SkeletonRows rows={3} />
              ) : d.agents.length === 0 ? (
                <EmptyState title="No assigned tickets in the period" />
              ) : (
                <SimpleTable columns={[{ label: 'Agent' }, { label: 'Tickets', right: true }, { label: 'First response', right: true }, { label: 'Resolution', right: true }]}>
                    {d.agents.map((a) => (
                      <tr key={a.agentId} className="border-b border-line last:border-0">
                        <td className="px-4 py-2">{name(a.agentId)}</td>
                        <td className="px-3 py-2 text-right tabular">{a.tickets}</td>
                        <td className="px-3 py-2 text-right tabular" title={`Wall-clock: ${hours(a.firstResponseHours)}`}>
                          {hours(a.firstResponseBusinessHours)}
                        </td>
                        <td className="px-4 py-2 text-right tabular" title={`Wall-clock: ${hours(a.resolutionHours)}`}>
                          {hours(a.resolutionBusinessHours)}
                        </td>
                      </tr>
                    ))}
                  </SimpleTable>
              )}
            </Card>
          </div>

          <Card aria-labelledby="ratings-title">
            <CardHeader id="ratings-title" title="Ratings" description="Managers’ monthly ratings of agents in the period" />
            {!d ? (
              <SkeletonRows rows={2} />
            ) : d.ratings.length === 0 ? (
              <EmptyState icon={<Star />} title="No ratings yet" description={can(me, 'ratings:manage') ? 'Rate an agent to start the record.' : undefined} />
            ) : (
              <SimpleTable columns={[{ label: 'Agent' }, { label: 'Month' }, { label: 'Score' }, { label: 'Comment' }, { label: 'By' }]} testId="ratings">
                  {d.ratings.map((r) => (
                    <tr key={`${r.agentId}:${r.period}`} className="border-b border-line last:border-0">
                      <td className="px-4 py-2">{name(r.agentId)}</td>
                      <td className="px-3 py-2">{formatMonth(r.period)}</td>
                      <td className="px-3 py-2">
                        <Stars score={r.score} />
                      </td>
                      <td className="max-w-96 truncate px-3 py-2 text-fg-muted" title={r.comment}>
                        {r.comment || '—'}
                      </td>
                      <td className="px-4 py-2 text-fg-muted">{name(r.raterId)}</td>
                    </tr>
                  ))}
                </SimpleTable>
            )}
          </Card>
        </div>
      )}
      {rating !== null ? <RateDialog open onOpenChange={(o) => !o && setRating(null)} agents={rateable} {...(rating ? { initialAgent: rating } : {})} /> : null}
    </Page>
  );
}
