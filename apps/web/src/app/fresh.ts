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
  useSyncExternalStore(subscribe, () => version);
  return fresh.has(id);
}
