import { useEffect, type ReactNode } from 'react';
import { cn } from '../../lib/cn';

/** A page's header: title (also the document title), description and actions. */
export function PageHeader({ title, description, actions, breadcrumb, className }: { title: ReactNode; description?: ReactNode; actions?: ReactNode; breadcrumb?: ReactNode; className?: string }) {
  return (
    <header className={cn('mb-5 flex flex-wrap items-end gap-x-4 gap-y-3', className)}>
      <div className="min-w-0 flex-1">
        {breadcrumb ? <div className="mb-1.5 text-[13px] text-fg-subtle">{breadcrumb}</div> : null}
        <h1 className="truncate text-xl font-semibold tracking-[-0.01em]">{title}</h1>
        {description ? <p className="mt-1 text-[13px] text-fg-muted">{description}</p> : null}
      </div>
      {actions ? <div className="flex flex-wrap items-center gap-2">{actions}</div> : null}
    </header>
  );
}

export function useDocumentTitle(title: string | undefined) {
  useEffect(() => {
    document.title = title ? `${title} · IMSOP` : 'IMSOP';
  }, [title]);
}

export function Page({ children, className, width = 'wide' }: { children: ReactNode; className?: string; width?: 'wide' | 'narrow' | 'full' }) {
  return (
    <div className={cn('mx-auto w-full px-4 py-5 sm:px-6 lg:px-8 lg:py-6', width === 'narrow' ? 'max-w-3xl' : width === 'wide' ? 'max-w-[1400px]' : '', className)}>
      {children}
    </div>
  );
}
