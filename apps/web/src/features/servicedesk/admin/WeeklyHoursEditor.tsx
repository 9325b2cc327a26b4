import { Copy, Plus, X } from 'lucide-react';
import { cn } from '../../../lib/cn';
import { Button } from '../../../components/ui/button';
import { Input } from '../../../components/ui/input';
import { WEEKDAY_LABEL, WEEKDAYS, weeklyMinutes, type WeekDraft, type Weekday } from '../hours';

/**
 * Opening hours per weekday, several intervals a day (e.g. 09:00–12:30 and 13:30–17:00). Errors
 * come keyed by `day.index(.from|.to)` from validateWeek or the server, and show at the interval.
 */
export function WeeklyHoursEditor({ value, onChange, errors }: { value: WeekDraft; onChange: (w: WeekDraft) => void; errors: Record<string, string> }) {
  const setDay = (d: Weekday, list: WeekDraft[Weekday]) => onChange({ ...value, [d]: list });
  const hours = weeklyMinutes(value) / 60;
  return (
    <div>
      <table className="w-full text-[13px]" aria-label="Weekly opening hours">
        <tbody>
          {WEEKDAYS.map((d) => {
            const list = value[d];
            return (
              <tr key={d} className="border-b border-line align-top last:border-0">
                <th scope="row" className="w-28 py-2 pr-3 text-left font-medium">
                  {WEEKDAY_LABEL[d]}
                </th>
                <td className="py-1.5">
                  {list.length === 0 ? <p className="py-1 text-fg-subtle">Closed</p> : null}
                  <ul className="flex flex-col gap-1.5">
                    {list.map((iv, i) => {
                      const whole = errors[`${d}.${i}`];
                      const fromErr = errors[`${d}.${i}.from`];
                      const toErr = errors[`${d}.${i}.to`];
                      const msg = [fromErr, toErr, whole].filter(Boolean).join(' · ');
                      const edit = (k: 'from' | 'to', v: string) => setDay(d, list.map((x, j) => (j === i ? { ...x, [k]: v } : x)));
                      return (
                        <li key={i} data-testid={`interval-${d}-${i}`}>
                          <div className="flex items-center gap-1.5">
                            <Input
                              value={iv.from}
                              onChange={(e) => edit('from', e.target.value)}
                              aria-label={`${WEEKDAY_LABEL[d]} interval ${i + 1} opens`}
                              aria-invalid={fromErr || whole ? true : undefined}
                              className="w-20 tabular"
                              placeholder="09:00"
                              inputMode="numeric"
                              maxLength={5}
                            />
                            <span className="text-fg-subtle" aria-hidden="true">
                              –
                            </span>
                            <Input
                              value={iv.to}
                              onChange={(e) => edit('to', e.target.value)}
                              aria-label={`${WEEKDAY_LABEL[d]} interval ${i + 1} closes`}
                              aria-invalid={toErr || whole ? true : undefined}
                              className="w-20 tabular"
                              placeholder="17:00"
                              inputMode="numeric"
                              maxLength={5}
                            />
                            <Button variant="ghost" size="icon-sm" aria-label={`Remove ${WEEKDAY_LABEL[d]} interval ${i + 1}`} onClick={() => setDay(d, list.filter((_, j) => j !== i))}>
                              <X aria-hidden="true" />
                            </Button>
                          </div>
                          {msg ? (
                            <p className="mt-0.5 text-xs text-red-600 dark:text-red-400" role="alert">
                              {msg}
                            </p>
                          ) : null}
                        </li>
                      );
                    })}
                  </ul>
                </td>
                <td className="w-64 py-1.5 text-right whitespace-nowrap">
                  <Button
                    variant="ghost"
                    size="sm"
                    onClick={() => {
                      const last = list[list.length - 1];
                      setDay(d, [...list, last ? { from: last.to === '24:00' ? '23:00' : last.to, to: '24:00' } : { from: '09:00', to: '17:00' }]);
                    }}
                    aria-label={`Add an interval on ${WEEKDAY_LABEL[d]}`}
                  >
                    <Plus aria-hidden="true" /> Interval
                  </Button>
                  {d === 'monday' ? (
                    <Button
                      variant="ghost"
                      size="sm"
                      onClick={() => onChange({ ...value, ...Object.fromEntries(WEEKDAYS.slice(1, 5).map((x) => [x, list.map((iv) => ({ ...iv }))])) })}
                      title="Copy Monday’s hours to Tuesday–Friday"
                    >
                      <Copy aria-hidden="true" /> To weekdays
                    </Button>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className={cn('mt-2 text-xs', errors._week ? 'text-red-600 dark:text-red-400' : 'text-fg-subtle')} role={errors._week ? 'alert' : undefined}>
        {errors._week ?? `Open ${Math.round(hours * 10) / 10} hours a week. Times are local to the calendar’s time zone; 24:00 ends a day.`}
      </p>
    </div>
  );
}
