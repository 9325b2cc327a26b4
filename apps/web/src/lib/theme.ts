export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'imsop.theme';
const media = typeof matchMedia === 'undefined' ? null : matchMedia('(prefers-color-scheme: dark)');
const listeners = new Set<() => void>();

export function getTheme(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

function apply(choice: ThemeChoice) {
  const dark = choice === 'dark' || (choice === 'system' && !!media?.matches);
  document.documentElement.classList.toggle('dark', dark);
}

export function setTheme(choice: ThemeChoice) {
  try {
    if (choice === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    // private mode: still applies for this page
  }
  apply(choice);
  for (const fn of listeners) fn();
}

export function subscribeTheme(fn: () => void) {
  listeners.add(fn);
  return () => void listeners.delete(fn);
}

/** Follow the system while the choice is "system". */
media?.addEventListener('change', () => {
  if (getTheme() === 'system') {
    apply('system');
    for (const fn of listeners) fn();
  }
});

export const isDark = () => document.documentElement.classList.contains('dark');
