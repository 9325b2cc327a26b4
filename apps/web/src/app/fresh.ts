import { useSyncExternalStore } from 'react';

/** Rows that just arrived live (highlighted briefly in lists). */
const fresh = new Map<string, number>();
const listeners = new Set<() => void>();
let version = 0;

export function markNew(id: string) {
  fresh.set(id, Date.now());
  version++;
  for (const fn of listeners) fn();
  setTimeout(() => {
    fresh.delete(id);
    version++;
    for (const fn of listeners) fn();
  }, 5000);
}

const subscribe = (fn: () => void) => {
  listeners.add(fn);
  return () => void listeners.delete(fn);
};

export function useIsNew(id: string): boolean {
  return useFresh()(id);
}

/** Whether a row just arrived, for a whole list at once (re-renders when that changes). */
export function useFresh(): (id: string) => boolean {
  useSyncExternalStore(subscribe, () => version);
  return (id) => fresh.has(id);
}
