import { useMemo, useState } from 'react';
import { useInfiniteQuery } from '@tanstack/react-query';
import { CalendarDays, Pencil, Plus, Trash2, Upload, X } from 'lucide-react';
import { api, call } from '../../../lib/api';
import { formatDate, timeZone as myZone } from '../../../lib/format';
import { rowsOf } from '../../../lib/pages';
import { fieldErrors } from '../../../lib/problem';
import { Button } from '../../../components/ui/button';
import { Card, CardHeader } from '../../../components/ui/card';
import { LoadMore } from '../../../components/ui/data-table';
import { ConfirmDialog } from '../../../components/ui/dialog';
import { Field, Input, Select } from '../../../components/ui/input';
import { Banner, EmptyState, errorMessage, ErrorState, SkeletonRows } from '../../../components/ui/states';
import { fromWeeklyHours, officeWeek, serverWeekErrors, toWeeklyHours, validateWeek, weeklyMinutes, type WeekDraft } from '../hours';
import { calendarPages, sdKeys, useTeams } from '../queries';
import type { Calendar, CalendarInput } from '../types';
import { useSaving } from './saving';
import { WeeklyHoursEditor } from './WeeklyHoursEditor';

const ZONES: string[] = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['UTC', 'Europe/London', 'Europe/Paris', 'America/New_York'];
const year = new Date().getFullYear();

/** Holidays from an .ics file (the events between two dates), added to or replacing the list. */
function IcsImport({ calendar }: { calendar: Calendar }) {
  const [ics, setIcs] = useState<{ name: string; text: string } | null>(null);
  const [from, setFrom] = useState(`${year}-01-01`);
  const [to, setTo] = useState(`${year + 1}-12-31`);
  const [replace, setReplace] = useState(false);
  const run = useSaving(
    () => call(api.POST('/api/servicedesk/calendars/{id}/holidays/import', { params: { path: { id: calendar.id } }, body: { ics: ics!.text, from, to, replace } })),
    [sdKeys.calendars],
    (c) => `${c.imported ?? 0} holidays imported${c.recalculated ? `; ${c.recalculated} open tickets recalculated` : ''}`,
    { inlineErrors: true },
  );
  return (
    <div className="flex flex-wrap items-end gap-3">
      <Field label=".ics file" hint={ics ? ics.name : 'A holiday calendar, e.g. exported from a calendar app'}>
        <Input
          type="file"
          accept=".ics,text/calendar"
          className="h-auto py-1"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void f.text().then((text) => setIcs({ name: f.name, text }));
          }}
        />
      </Field>
      <Field label="From">
        <Input type="date" value={from} onChange={(e) => setFrom(e.target.value)} className="w-40" />
      </Field>
      <Field label="To">
        <Input type="date" value={to} onChange={(e) => setTo(e.target.value)} className="w-40" />
      </Field>
      <label className="flex h-8 items-center gap-2 text-[13px]">
        <input type="checkbox" checked={replace} onChange={(e) => setReplace(e.target.checked)} /> Replace the current holidays
      </label>
      <Button onClick={() => run.mutate()} disabled={!ics} loading={run.isPending}>
        <Upload aria-hidden="true" /> Import holidays
      </Button>
      {run.error ? <Banner className="w-full">{errorMessage(run.error)}</Banner> : null}
    </div>
  );
}

function Editor({ calendar, onDone }: { calendar: Calendar | null; onDone: () => void }) {
  const teams = useTeams();
  const [name, setName] = useState(calendar?.name ?? '');
  const [zone, setZone] = useState(calendar?.timeZone ?? myZone);
  const [teamId, setTeamId] = useState(calendar?.teamId ?? '');
  const [week, setWeek] = useState<WeekDraft>(() => (calendar ? fromWeeklyHours(calendar.weeklyHours) : officeWeek()));
  const [holidays, setHolidays] = useState(() => (calendar?.holidays ?? []).map((h) => ({ date: h.date, name: h.name ?? '' })));
  const [tried, setTried] = useState(false);
  const local = validateWeek(week);
  const save = useSaving(
    (body: CalendarInput) =>
      calendar ? call(api.PATCH('/api/servicedesk/calendars/{id}', { params: { path: { id: calendar.id } }, body })) : call(api.POST('/api/servicedesk/calendars', { body })),
    [sdKeys.calendars],
    (c) => `Calendar ${c.name} saved${c.recalculated ? `; ${c.recalculated} open tickets recalculated` : ''}`,
    { inlineErrors: true },
  );
  const server = fieldErrors(save.error);
  const weekErrors = tried ? { ...serverWeekErrors((save.error as { errors?: { path: string; message: string }[] } | null)?.errors), ...local } : {};
  const submit = () => {
    setTried(true);
    if (Object.keys(local).length) return;
    save.mutate(
      {
        name: name.trim(),
        timeZone: zone,
        weeklyHours: toWeeklyHours(week),
        holidays: holidays.filter((h) => h.date).map((h) => ({ date: h.date, ...(h.name.trim() ? { name: h.name.trim() } : {}) })),
        teamId: teamId || null,
      },
      { onSuccess: () => !calendar && onDone() },
    );
  };
  const otherErrors = save.error && !Object.keys(serverWeekErrors((save.error as { errors?: { path: string; message: string }[] }).errors)).length ? errorMessage(save.error) : null;
  return (
    <Card aria-labelledby="calendar-editor-title" data-testid="calendar-editor">
      <CardHeader
        id="calendar-editor-title"
        title={calendar ? `Edit ${calendar.name}` : 'New calendar'}
        description="Due times count only the open hours of the policy’s calendar; holidays close the whole day."
        actions={
          <Button variant="ghost" size="icon-sm" aria-label="Close the editor" onClick={onDone}>
            <X aria-hidden="true" />
          </Button>
        }
      />
      <div className="flex flex-col gap-5 px-4 py-4">
        <div className="grid gap-3 sm:grid-cols-3">
          <Field label="Name" error={server.name} required>
            <Input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} />
          </Field>
          <Field label="Time zone" error={server.timeZone}>
            <Select value={zone} onChange={(e) => setZone(e.target.value)}>
              {(ZONES.includes(zone) ? ZONES : [zone, ...ZONES]).map((z) => (
                <option key={z} value={z}>
                  {z}
                </option>
              ))}
            </Select>
          </Field>
          <Field label="Team" hint="Optional: the team whose hours these are" error={server.teamId}>
            <Select value={teamId} onChange={(e) => setTeamId(e.target.value)}>
              <option value="">The whole organization</option>
              {teams.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </Select>
          </Field>
        </div>
        <section aria-labelledby="hours-title">
          <h3 id="hours-title" className="mb-2 text-[13px] font-semibold">
            Opening hours
          </h3>
          <WeeklyHoursEditor value={week} onChange={setWeek} errors={weekErrors} />
        </section>
        <section aria-labelledby="holidays-title">
          <h3 id="holidays-title" className="mb-2 text-[13px] font-semibold">
            Holidays <span className="font-normal text-fg-subtle">({holidays.length})</span>
          </h3>
          <ul className="mb-2 flex max-h-64 flex-col gap-1.5 overflow-y-auto" data-testid="holidays">
            {holidays.map((h, i) => (
              <li key={i} className="flex items-center gap-2">
                <Input type="date" value={h.date} aria-label={`Holiday ${i + 1} date`} className="w-40" onChange={(e) => setHolidays(holidays.map((x, j) => (j === i ? { ...x, date: e.target.value } : x)))} />
                <Input value={h.name} aria-label={`Holiday ${i + 1} name`} placeholder="Name (optional)" className="max-w-72" onChange={(e) => setHolidays(holidays.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)))} />
                <Button variant="ghost" size="icon-sm" aria-label={`Remove holiday ${i + 1}`} onClick={() => setHolidays(holidays.filter((_, j) => j !== i))}>
                  <X aria-hidden="true" />
                </Button>
              </li>
            ))}
          </ul>
          <Button variant="ghost" size="sm" onClick={() => setHolidays([...holidays, { date: '', name: '' }])}>
            <Plus aria-hidden="true" /> Holiday
          </Button>
          {server.holidays ? <p className="mt-1 text-xs text-red-600 dark:text-red-400">{server.holidays}</p> : null}
        </section>
        {otherErrors ? <Banner>{otherErrors}</Banner> : null}
        <div className="flex justify-end gap-2 border-t border-line pt-4">
          <Button onClick={onDone}>Cancel</Button>
          <Button variant="primary" onClick={submit} loading={save.isPending} disabled={!name.trim()}>
            {calendar ? 'Save calendar' : 'Create calendar'}
          </Button>
        </div>
        {calendar ? (
          <section aria-labelledby="ics-title" className="border-t border-line pt-4">
            <h3 id="ics-title" className="mb-2 text-[13px] font-semibold">
              Import holidays from .ics
            </h3>
            <IcsImport calendar={calendar} />
          </section>
        ) : null}
      </div>
    </Card>
  );
}

export function CalendarsTab() {
  const q = useInfiniteQuery(calendarPages);
  const rows = useMemo(() => rowsOf(q.data), [q.data]);
  const [editing, setEditing] = useState<string | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Calendar | null>(null);
  const remove = useSaving((id: string) => call(api.DELETE('/api/servicedesk/calendars/{id}', { params: { path: { id } } })), [sdKeys.calendars], 'Calendar deleted');
  const current = useMemo(() => (editing && editing !== 'new' ? (rows.find((c) => c.id === editing) ?? null) : null), [editing, rows]);
  return (
    <div className="flex flex-col gap-4">
      <Card aria-labelledby="calendars-title">
        <CardHeader
          id="calendars-title"
          title="Business calendars"
          description="A policy without a calendar counts every hour (24/7, UTC)"
          actions={
            <Button variant="primary" onClick={() => setEditing('new')}>
              <Plus aria-hidden="true" /> New calendar
            </Button>
          }
        />
        {q.error ? (
          <ErrorState error={q.error} onRetry={() => void q.refetch()} />
        ) : q.isLoading ? (
          <SkeletonRows rows={2} />
        ) : !rows.length ? (
          <EmptyState icon={<CalendarDays />} title="No calendars yet" description="Add your office hours so SLA clocks stop at night, at weekends and on holidays." />
        ) : (
          <ul className="divide-y divide-line">
            {rows.map((c) => {
              const next = c.holidays.find((h) => h.date >= new Date().toISOString().slice(0, 10));
              return (
                <li key={c.id} className="flex items-center gap-3 px-4 py-3">
                  <div className="min-w-0 flex-1">
                    <p className="text-[13px] font-medium">{c.name}</p>
                    <p className="text-xs text-fg-muted">
                      {c.timeZone} · {Math.round(weeklyMinutes(fromWeeklyHours(c.weeklyHours)) / 6) / 10} h a week · {c.holidays.length} holiday{c.holidays.length === 1 ? '' : 's'}
                      {next ? ` · next ${formatDate(`${next.date}T12:00:00Z`)}${next.name ? ` (${next.name})` : ''}` : ''}
                    </p>
                  </div>
                  <Button variant="ghost" size="icon-sm" aria-label={`Edit ${c.name}`} onClick={() => setEditing(c.id)}>
                    <Pencil aria-hidden="true" />
                  </Button>
                  <Button variant="ghost" size="icon-sm" aria-label={`Delete ${c.name}`} onClick={() => setDeleting(c)}>
                    <Trash2 aria-hidden="true" />
                  </Button>
                </li>
              );
            })}
          </ul>
        )}
        <div className="px-4 pb-3">
          <LoadMore count={rows.length} noun={['calendar', 'calendars']} hasMore={q.hasNextPage} loading={q.isFetchingNextPage} onMore={() => void q.fetchNextPage()} />
        </div>
      </Card>
      {editing ? <Editor key={editing} calendar={current} onDone={() => setEditing(null)} /> : null}
      <ConfirmDialog
        open={!!deleting}
        onOpenChange={(o) => !o && setDeleting(null)}
        title={`Delete the calendar ${deleting?.name ?? ''}?`}
        description="Only a calendar that no policy uses can be deleted."
        confirmLabel="Delete"
        pending={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting.id, { onSuccess: () => setDeleting(null) })}
      />
    </div>
  );
}
