import crypto from 'node:crypto';

/**
 * The requester's link to a ticket: an HMAC of the ticket id and its link version, so no token is
 * stored and bumping the version revokes every link handed out before.
 */
export function linkToken(key: Buffer, ticketId: string, version: number): string {
  return crypto.createHmac('sha256', key).update(`ticket:${ticketId}:${version}`).digest('base64url');
}

export function verifyLinkToken(key: Buffer, ticketId: string, version: number, token: string): boolean {
  const want = Buffer.from(linkToken(key, ticketId, version));
  const got = Buffer.from(token);
  return want.length === got.length && crypto.timingSafeEqual(want, got);
}

/** The page a requester opens; the token rides in the fragment, so it never reaches a server log. */
export function requesterLink(baseUrl: string, ticketId: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/portal/tickets/${ticketId}#t=${token}`;
}

/** Message-IDs of our outbound email: the ticket's thread root, and each public reply. */
export const ticketMessageId = (ticketId: string) => `<ticket-${ticketId}@imsop>`;
export const replyMessageId = (replyId: string) => `<reply-${replyId}@imsop>`;
