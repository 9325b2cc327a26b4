import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { useQuery } from '@tanstack/react-query';
import { DropdownMenu as M } from 'radix-ui';
import { Check, ChevronDown, Clock, Download, FileText, Paperclip, X } from 'lucide-react';
import { Badge } from '../../components/ui/badge';
import { Spinner, errorMessage } from '../../components/ui/states';
import { cn } from '../../lib/cn';
import { formatFull } from '../../lib/format';
import { toast } from '../../lib/toast';
import { downloadFile, fileInfo, formatBytes, uploadFile, type FileSource, type UploadTarget } from './files';
import { sdKeys } from './queries';
import { slaBadge } from './sla';
import type { UploadedFile } from './types';

/** The current time, refreshed every `everyMs` (time-left badges tick without refetching). */
export function useNow(everyMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

/** The next SLA due time as a coloured badge: green, amber under 4 h, orange under 1 h, red when overdue. */
export function SlaDueBadge({ dueAt, now, hideEmpty, breached }: { dueAt: string | null; now: number; hideEmpty?: boolean; breached?: boolean }) {
  if (breached) {
    return (
      <span title="A target of this ticket is in breach" data-testid="sla-badge" data-tone="red">
        <Badge tone="red">
          <Clock className="size-3" aria-hidden="true" />
          Breached
        </Badge>
      </span>
    );
  }
  const b = slaBadge(dueAt, now);
  if (!b || !dueAt) return hideEmpty ? null : <span className="text-[13px] text-fg-subtle" aria-label="No running SLA clock">—</span>;
  return (
    <span title={`Due ${formatFull(dueAt)}`} data-testid="sla-badge" data-tone={b.tone}>
      <Badge tone={b.tone}>
        <Clock className="size-3" aria-hidden="true" />
        {b.label}
      </Badge>
    </span>
  );
}

/** One attachment: its name and size (read once, cached), a click downloads it. */
function AttachmentChip({ id, source }: { id: string; source: FileSource }) {
  const info = useQuery({ queryKey: [...sdKeys.fileInfo(id), source.kind], queryFn: () => fileInfo(id, source), staleTime: Infinity, retry: false });
  const [busy, setBusy] = useState(false);
  const name = info.data?.name ?? (info.isError ? 'Attachment' : 'Loading…');
  return (
    <button
      type="button"
      onClick={() => {
        setBusy(true);
        downloadFile(id, source)
          .catch((err: unknown) => toast('Download failed', { tone: 'error', description: errorMessage(err) }))
          .finally(() => setBusy(false));
      }}
      className="inline-flex h-7 max-w-64 items-center gap-1.5 rounded-md border border-line bg-surface px-2 text-xs text-fg-muted hover:bg-hover hover:text-fg"
      aria-label={`Download ${name}`}
      data-testid="attachment"
    >
      {busy ? <Spinner className="size-3.5" /> : <FileText className="size-3.5 shrink-0 text-fg-subtle" aria-hidden="true" />}
      <span className="truncate">{name}</span>
      {info.data?.size != null ? <span className="shrink-0 text-fg-subtle">{formatBytes(info.data.size)}</span> : null}
      <Download className="size-3.5 shrink-0 text-fg-subtle" aria-hidden="true" />
    </button>
  );
}

export function AttachmentList({ ids, source, className }: { ids: readonly string[]; source: FileSource; className?: string }) {
  if (!ids.length) return null;
  return (
    <ul className={cn('flex flex-wrap gap-1.5', className)} aria-label="Attachments">
      {ids.map((id) => (
        <li key={id}>
          <AttachmentChip id={id} source={source} />
        </li>
      ))}
    </ul>
  );
}

/**
 * Attach files: each is uploaded as soon as it is picked (the form then sends only the ids).
 * Errors (too large, a type the server refuses) are shown under the button.
 */
export function AttachmentPicker({
  files,
  onChange,
  target = { kind: 'console' },
  max = 10,
  label = 'Attach files',
  disabled,
}: {
  files: UploadedFile[];
  onChange: (files: UploadedFile[]) => void;
  target?: UploadTarget;
  max?: number;
  label?: string;
  disabled?: boolean;
}) {
  const input = useRef<HTMLInputElement>(null);
  const id = useId();
  const [pending, setPending] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef(files);
  latest.current = files;

  const pick = async (list: FileList | null) => {
    if (!list?.length) return;
    setError(null);
    const chosen = [...list].slice(0, Math.max(0, max - files.length));
    if (chosen.length < list.length) setError(`At most ${max} files.`);
    setPending((n) => n + chosen.length);
    for (const f of chosen) {
      try {
        const up = await uploadFile(f, target);
        latest.current = [...latest.current, up];
        onChange(latest.current);
      } catch (err) {
        setError(`${f.name}: ${errorMessage(err)}`);
      } finally {
        setPending((n) => n - 1);
      }
    }
    if (input.current) input.current.value = '';
  };

  return (
    <div className="flex flex-col gap-1.5">
      <div className="flex flex-wrap items-center gap-1.5">
        <input ref={input} id={id} type="file" multiple className="sr-only" tabIndex={-1} onChange={(e) => void pick(e.target.files)} disabled={disabled || files.length >= max} data-testid="file-input" />
        <label
          htmlFor={id}
          role="button"
          tabIndex={0}
          onKeyDown={(e) => {
            if (e.key === 'Enter' || e.key === ' ') {
              e.preventDefault();
              input.current?.click();
            }
          }}
          className={cn(
            'inline-flex h-7 cursor-pointer items-center gap-1.5 rounded-md px-2 text-xs font-medium text-fg-muted hover:bg-hover hover:text-fg',
            (disabled || files.length >= max) && 'pointer-events-none opacity-50',
          )}
        >
          {pending ? <Spinner className="size-3.5" /> : <Paperclip className="size-3.5" aria-hidden="true" />}
          {pending ? `Uploading ${pending}…` : label}
        </label>
        {files.map((f) => (
          <span key={f.id} className="inline-flex h-7 max-w-64 items-center gap-1 rounded-md border border-line bg-surface pr-0.5 pl-2 text-xs" data-testid="uploaded-file">
            <FileText className="size-3.5 shrink-0 text-fg-subtle" aria-hidden="true" />
            <span className="truncate">{f.name}</span>
            <span className="shrink-0 text-fg-subtle">{formatBytes(f.size)}</span>
            <button
              type="button"
              className="flex size-6 items-center justify-center rounded text-fg-subtle hover:bg-hover hover:text-fg"
              aria-label={`Remove ${f.name}`}
              onClick={() => onChange(files.filter((x) => x.id !== f.id))}
            >
              <X className="size-3.5" aria-hidden="true" />
            </button>
          </span>
        ))}
      </div>
      {error ? (
        <p className="text-xs text-red-600 dark:text-red-400" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** A small labelled figure for dashboards' KPI rows. */
export function Stat({ label, value, hint, tone }: { label: string; value: ReactNode; hint?: ReactNode; tone?: 'red' | 'green' | 'amber' }) {
  return (
    <div className="rounded-lg border border-line bg-surface px-4 py-3 shadow-card">
      <p className="text-xs font-medium text-fg-muted">{label}</p>
      <p
        className={cn(
          'mt-1 text-2xl font-semibold tracking-tight tabular',
          tone === 'red' && 'text-red-600 dark:text-red-400',
          tone === 'green' && 'text-emerald-600 dark:text-emerald-400',
          tone === 'amber' && 'text-amber-600 dark:text-amber-400',
        )}
      >
        {value}
      </p>
      {hint ? <p className="mt-0.5 text-xs text-fg-subtle">{hint}</p> : null}
    </div>
  );
}

/** A horizontal bar with its share, for compliance and category lists. */
export function Meter({ value, max = 100, tone = 'accent', label }: { value: number; max?: number; tone?: 'accent' | 'green' | 'amber' | 'red'; label: string }) {
  const pct = max > 0 ? Math.max(0, Math.min(100, (value / max) * 100)) : 0;
  const fill = { accent: 'bg-accent', green: 'bg-emerald-500', amber: 'bg-amber-500', red: 'bg-red-500' }[tone];
  return (
    <div className="h-2 w-full overflow-hidden rounded-full bg-hover" role="meter" aria-valuemin={0} aria-valuemax={max} aria-valuenow={value} aria-label={label}>
      <div className={cn('h-full rounded-full', fill)} style={{ width: `${pct}%` }} />
    </div>
  );
}

/** A filter button opening a checklist (several statuses, several priorities). */
export function MultiSelect<T extends string>({ label, options, value, onChange }: { label: string; options: { value: T; label: string }[]; value: T[]; onChange: (v: T[]) => void }) {
  const chosen = options.filter((o) => value.includes(o.value));
  return (
    <M.Root>
      <M.Trigger asChild>
        <button
          type="button"
          className={cn(
            'inline-flex h-8 items-center gap-1.5 rounded-md border px-2.5 text-[13px] font-medium transition-colors',
            chosen.length ? 'border-accent/40 bg-accent-soft text-accent-soft-fg' : 'border-line bg-surface text-fg-muted hover:bg-hover hover:text-fg',
          )}
          aria-label={`${label}: ${chosen.length ? chosen.map((c) => c.label).join(', ') : 'any'}`}
        >
          {label}
          {chosen.length ? <span className="rounded bg-accent px-1 text-[11px] leading-4 text-accent-fg tabular">{chosen.length}</span> : null}
          <ChevronDown className="size-3.5 opacity-60" aria-hidden="true" />
        </button>
      </M.Trigger>
      <M.Portal>
        <M.Content align="start" sideOffset={6} className="z-50 min-w-48 rounded-lg border border-line bg-raised p-1 text-[13px] shadow-pop focus:outline-none">
          {options.map((o) => (
            <M.CheckboxItem
              key={o.value}
              checked={value.includes(o.value)}
              onSelect={(e) => e.preventDefault()}
              onCheckedChange={(on) => onChange(on ? [...value, o.value] : value.filter((v) => v !== o.value))}
              className="relative flex h-8 cursor-default items-center gap-2 rounded-md pr-2 pl-7 text-fg outline-none select-none data-[highlighted]:bg-hover"
            >
              <M.ItemIndicator className="absolute left-2 inline-flex">
                <Check className="size-4 text-accent" aria-hidden="true" />
              </M.ItemIndicator>
              {o.label}
            </M.CheckboxItem>
          ))}
          {value.length ? (
            <>
              <M.Separator className="-mx-1 my-1 h-px bg-line" />
              <M.Item onSelect={() => onChange([])} className="flex h-8 cursor-default items-center rounded-md px-2 text-fg-muted outline-none data-[highlighted]:bg-hover">
                Clear
              </M.Item>
            </>
          ) : null}
        </M.Content>
      </M.Portal>
    </M.Root>
  );
}
