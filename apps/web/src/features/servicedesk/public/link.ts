/**
 * The requester's link: `<origin>/portal/tickets/<id>#t=<token>`. The token rides in the fragment,
 * which browsers never send to a server, so it stays out of access logs and Referer headers; the
 * portal reads it here and sends it only in the X-Ticket-Token header.
 */
export const requesterLink = (origin: string, ticketId: string, token: string) => `${origin.replace(/\/+$/, '')}/portal/tickets/${ticketId}#t=${token}`;

/** The token of a link's fragment (`#t=…`, possibly among other parameters), or null. */
export function tokenFromHash(hash: string): string | null {
  const m = /(?:^#?|&)t=([A-Za-z0-9_-]{20,100})(?:&|$)/.exec(hash);
  return m ? m[1]! : null;
}
