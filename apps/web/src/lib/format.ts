/** Dates, numbers and durations in the user's locale and time zone. */
const locale = typeof navigator === 'undefined' ? 'en' : navigator.language;
export const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(locale, { dateStyle: 'medium' });
const timeOnly = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const full = new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeStyle: 'long' });
const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto', style: 'short' });
const num = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
const pct = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 });

const toDate = (v: string | number | Date) => (v instanceof Date ? v : new Date(v));

/** "21 Nov 2026, 02:47 – 06:47": a range without repeating what both ends share. */
export const formatRange = (a: string | number | Date, b: string | number | Date) => dateTime.formatRange(toDate(a), toDate(b));
export const formatDateTime = (v: string | number | Date | null | undefined) => (v == null ? '—' : dateTime.format(toDate(v)));
export const formatDate = (v: string | number | Date | null | undefined) => (v == null ? '—' : dateOnly.format(toDate(v)));
export const formatTime = (v: string | number | Date) => timeOnly.format(toDate(v));
/** A long form for tooltips, with the time zone. */
export const formatFull = (v: string | number | Date) => full.format(toDate(v));
export const formatNumber = (v: number | null | undefined) => (v == null ? '—' : num.format(v));
export const formatPercent = (v: number | null | undefined) => (v == null ? '—' : pct.format(v));

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86400],
  ['month', 30 * 86400],
  ['week', 7 * 86400],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];
/** "3 min ago", "in 2 days". */
export function formatRelative(v: string | number | Date, now = Date.now()): string {
  const diff = (toDate(v).getTime() - now) / 1000;
  const abs = Math.abs(diff);
  if (abs < 45) return 'just now';
  for (const [unit, secs] of UNITS) {
    if (abs >= secs || unit === 'second') return rtf.format(Math.round(diff / secs), unit);
  }
  return rtf.format(Math.round(diff), 'second');
}

/** 5400 → "1 h 30 min". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** A datetime-local input value (local time) from an ISO string, and back. */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
export function fromLocalInput(v: string): string | null {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** "Ada Lovelace" → "AL". */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '') + (parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '')).toUpperCase() || '?';
}
