import type { ParsedMail } from 'mailparser';

/** What threading needs from an inbound email. */
export interface InboundEmail {
  messageId: string | null;
  /** In-Reply-To first, then References from newest to oldest. */
  threadIds: string[];
  from: { name: string; email: string } | null;
  subject: string;
  text: string;
  attachments: { filename: string | undefined; content: Buffer }[];
}

const ID = /<[^<>\s]+>/g;
const idsIn = (v: string | string[] | undefined) => (Array.isArray(v) ? v : v ? [v] : []).flatMap((x) => x.match(ID) ?? []);

export function fromParsed(m: ParsedMail): InboundEmail {
  const from = m.from?.value[0];
  const refs = idsIn(m.references).reverse();
  return {
    messageId: m.messageId?.match(ID)?.[0] ?? null,
    threadIds: [...new Set([...idsIn(m.inReplyTo), ...refs])],
    from: from?.address ? { name: from.name || from.address, email: from.address.toLowerCase() } : null,
    subject: (m.subject ?? '').trim(),
    text: stripQuoted(m.text ?? ''),
    attachments: (m.attachments ?? []).filter((a) => a.contentDisposition !== 'inline' || a.filename).map((a) => ({ filename: a.filename, content: a.content })),
  };
}

/** Where quoted history starts in a reply: "On … wrote:", an Outlook "Original Message" rule, or our own footer. */
const QUOTE_START = [/^On .{3,200} wrote:\s*$/m, /^-{2,}\s*Original Message\s*-{2,}/im, /^From: .+$\n^Sent: /m, /^--\s*\nFollow ticket #\d+:/m];

/** The new part of a reply: text above the quoted history, without ">" lines. Never empties a message entirely. */
export function stripQuoted(text: string): string {
  let cut = text.length;
  for (const re of QUOTE_START) {
    const m = re.exec(text);
    if (m && m.index < cut) cut = m.index;
  }
  const kept = text
    .slice(0, cut)
    .split('\n')
    .filter((l) => !l.startsWith('>'))
    .join('\n')
    .trim();
  return kept || text.trim();
}

/** `[#123]` in a subject (how our notifications name the ticket). */
export function ticketNumberInSubject(subject: string): number | null {
  const m = /\[#(\d{1,9})\]/.exec(subject);
  return m ? Number(m[1]) : null;
}

/** Our own Message-IDs carry the ticket or reply id. */
export function ourIds(ids: string[]): { tickets: string[]; replies: string[] } {
  const tickets: string[] = [];
  const replies: string[] = [];
  for (const id of ids) {
    const m = /^<(ticket|reply)-([0-9a-f-]{36})@imsop>$/.exec(id);
    if (m) (m[1] === 'ticket' ? tickets : replies).push(m[2]!);
  }
  return { tickets, replies };
}
