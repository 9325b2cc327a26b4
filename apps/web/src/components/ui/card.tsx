import type { ReactNode } from 'react';
import { cn } from '../../lib/cn';

export function Card({ children, className, as: As = 'section', ...rest }: { children: ReactNode; className?: string; as?: 'section' | 'div' | 'article'; 'aria-labelledby'?: string }) {
  return (
    <As className={cn('rounded-lg border border-line bg-surface shadow-card', className)} {...rest}>
      {children}
    </As>
  );
}

export function CardHeader({ title, description, actions, id, className }: { title: ReactNode; description?: ReactNode; actions?: ReactNode; id?: string; className?: string }) {
  return (
    <div className={cn('flex min-h-12 items-center gap-3 border-b border-line px-4 py-2.5', className)}>
      <div className="min-w-0 flex-1">
        <h2 id={id} className="truncate text-[13px] font-semibold text-fg">
          {title}
        </h2>
        {description ? <p className="truncate text-xs text-fg-subtle">{description}</p> : null}
      </div>
      {actions ? <div className="flex shrink-0 items-center gap-1.5">{actions}</div> : null}
    </div>
  );
}
