import type { ReactNode } from 'react';
import { Link, type LinkProps } from '@tanstack/react-router';
import { ChevronRight } from 'lucide-react';

/** A page's breadcrumb: the list it belongs to (a link), then where it is. */
export function Crumbs({ to, label, children }: { to: LinkProps['to']; label: string; children: ReactNode }) {
  return (
    <nav aria-label="Breadcrumb" className="flex items-center gap-1">
      <Link to={to} className="hover:text-fg">
        {label}
      </Link>
      <ChevronRight className="size-3.5" aria-hidden="true" />
      {typeof children === 'string' ? <span className="max-w-72 truncate">{children}</span> : children}
    </nav>
  );
}
