import { useSyncExternalStore } from 'react';
import { AlertTriangle, CheckCircle2, Info, X, XCircle } from 'lucide-react';
import { cn } from '../../lib/cn';
import { dismissToast, getToasts, subscribeToasts } from '../../lib/toast';

const icons = { info: Info, success: CheckCircle2, error: XCircle, warning: AlertTriangle };
const colors = { info: 'text-accent', success: 'text-emerald-500', error: 'text-red-500', warning: 'text-amber-500' };

/** Toasts in a polite live region, bottom right. */
export function Toaster() {
  const toasts = useSyncExternalStore(subscribeToasts, getToasts, getToasts);
  return (
    <div aria-live="polite" aria-relevant="additions" className="pointer-events-none fixed right-4 bottom-4 z-[60] flex w-[min(380px,calc(100vw-2rem))] flex-col gap-2">
      {toasts.map((t) => {
        const Icon = icons[t.tone];
        return (
          <div key={t.id} role={t.tone === 'error' ? 'alert' : 'status'} className="pointer-events-auto flex items-start gap-3 rounded-lg border border-line bg-raised p-3 shadow-pop">
            <Icon className={cn('mt-0.5 size-4 shrink-0', colors[t.tone])} aria-hidden="true" />
            <div className="min-w-0 flex-1">
              <p className="text-[13px] font-medium">{t.title}</p>
              {t.description ? <p className="mt-0.5 text-xs text-fg-muted">{t.description}</p> : null}
            </div>
            <button type="button" onClick={() => dismissToast(t.id)} className="rounded p-0.5 text-fg-subtle hover:bg-hover hover:text-fg" aria-label="Dismiss">
              <X className="size-3.5" aria-hidden="true" />
            </button>
          </div>
        );
      })}
    </div>
  );
}
