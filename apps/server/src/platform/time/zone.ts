/** Is this IANA zone known? (Intl and PostgreSQL share the tz database.) */
export function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
