import type { ReactNode } from 'react';
import { AlertTriangle, RotateCw } from 'lucide-react';
import { cn } from '../../lib/cn';
import { ApiError } from '../../lib/problem';
import { Card } from './card';
import { Page } from './page';

export function Spinner({ className }: { className?: string }) {
  return (
    <svg className={cn('animate-spin text-current', className ?? 'size-4')} viewBox="0 0 24 24" fill="none" aria-hidden="true">
      <circle cx="12" cy="12" r="9" stroke="currentColor" strokeOpacity="0.25" strokeWidth="3" />
      <path d="M21 12a9 9 0 0 0-9-9" stroke="currentColor" strokeWidth="3" strokeLinecap="round" />
    </svg>
  );
}

export function Skeleton({ className }: { className?: string }) {
  return <div className={cn('skeleton', className ?? 'h-4 w-full')} aria-hidden="true" />;
}

/** Placeholder rows while a list loads. */
export function SkeletonRows({ rows = 5, className }: { rows?: number; className?: string }) {
  return (
    <div className={cn('divide-y divide-line', className)} role="status" aria-label="Loading">
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="flex items-center gap-4 px-4 py-3">
          <Skeleton className="h-4 w-2/5" />
          <Skeleton className="h-4 w-16" />
          <Skeleton className="ml-auto h-4 w-24" />
        </div>
      ))}
    </div>
  );
}

export function EmptyState({ icon, title, description, action, className }: { icon?: ReactNode; title: string; description?: ReactNode; action?: ReactNode; className?: string }) {
  return (
    <div data-empty-state className={cn('flex flex-col items-center justify-center px-6 py-12 text-center', className)}>
      {icon ? <div className="mb-3 flex size-10 items-center justify-center rounded-full bg-hover text-fg-subtle [&_svg]:size-5">{icon}</div> : null}
      <p className="text-sm font-medium text-fg">{title}</p>
      {description ? <p className="mt-1 max-w-sm text-[13px] text-fg-muted">{description}</p> : null}
      {action ? <div className="mt-4">{action}</div> : null}
    </div>
  );
}

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.detail;
  if (err instanceof Error) return err.message;
  return 'Something went wrong.';
}

export function ErrorState({ error, onRetry, className, title }: { error: unknown; onRetry?: () => void; className?: string; title?: string }) {
  const forbidden = error instanceof ApiError && error.status === 403;
  return (
    <div role="alert" className={cn('flex flex-col items-center justify-center px-6 py-10 text-center', className)}>
      <div className="mb-3 flex size-10 items-center justify-center rounded-full bg-red-500/10 text-red-600 dark:text-red-400">
        <AlertTriangle className="size-5" aria-hidden="true" />
      </div>
      <p className="text-sm font-medium">{title ?? (forbidden ? 'You don’t have access to this' : 'Couldn’t load this')}</p>
      <p className="mt-1 max-w-sm text-[13px] text-fg-muted">{errorMessage(error)}</p>
      {onRetry && !forbidden ? (
        <button type="button" onClick={onRetry} className="mt-4 inline-flex items-center gap-1.5 rounded-md border border-line bg-surface px-3 py-1.5 text-[13px] font-medium hover:bg-hover">
          <RotateCw className="size-3.5" aria-hidden="true" /> Try again
        </button>
      ) : null}
    </div>
  );
}

/** An inline error banner (forms, dialogs). */
export function Banner({ tone = 'error', children, className }: { tone?: 'error' | 'info' | 'warning' | 'success'; children: ReactNode; className?: string }) {
  const tones = {
    error: 'border-red-500/30 bg-red-500/8 text-red-700 dark:text-red-300',
    warning: 'border-amber-500/30 bg-amber-500/10 text-amber-800 dark:text-amber-300',
    info: 'border-accent/30 bg-accent-soft text-accent-soft-fg',
    success: 'border-emerald-500/30 bg-emerald-500/10 text-emerald-800 dark:text-emerald-300',
  } as const;
  return (
    <div role={tone === 'error' ? 'alert' : 'status'} className={cn('rounded-md border px-3 py-2 text-[13px]', tones[tone], className)}>
      {children}
    </div>
  );
}

/** Full-page loading (boot, before the shell). */
export function Splash() {
  return (
    <div className="flex min-h-dvh items-center justify-center text-fg-subtle" role="status" aria-label="Loading">
      <Spinner className="size-5" />
    </div>
  );
}

/** A page the user's role does not open (the navigation hides it; a typed URL lands here). */
export function NoAccess({ what }: { what: string }) {
  return (
    <Page width="narrow">
      <Card as="div" className="mt-10">
        <ErrorState error={new Error(`Your role does not include ${what}.`)} title="You don’t have access to this" />
      </Card>
    </Page>
  );
}
