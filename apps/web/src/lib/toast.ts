export type ToastTone = 'info' | 'success' | 'error' | 'warning';
export interface Toast {
  id: number;
  title: string;
  description?: string;
  tone: ToastTone;
}
let nextId = 1;
let toasts: Toast[] = [];
const listeners = new Set<() => void>();
const emit = () => {
  for (const fn of listeners) fn();
};

export function toast(title: string, opts: { description?: string; tone?: ToastTone; durationMs?: number } = {}) {
  const t: Toast = { id: nextId++, title, tone: opts.tone ?? 'info', ...(opts.description ? { description: opts.description } : {}) };
  toasts = [...toasts.slice(-3), t];
  emit();
  setTimeout(() => dismissToast(t.id), opts.durationMs ?? (t.tone === 'error' ? 8000 : 4500));
}
export function dismissToast(id: number) {
  const next = toasts.filter((t) => t.id !== id);
  if (next.length === toasts.length) return;
  toasts = next;
  emit();
}
export const subscribeToasts = (fn: () => void) => {
  listeners.add(fn);
  return () => void listeners.delete(fn);
};
export const getToasts = () => toasts;
