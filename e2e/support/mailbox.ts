import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { expect } from 'vitest';

/** One message the stand-in relay received, as the journeys read it. */
export interface ReceivedMail {
  to: string[];
  subject: string;
  text: string;
}

/**
 * A local SMTP server standing in for the mail relay (the e2e server's SMTP_URL points at it): every
 * message it receives is appended, parsed, as one JSON line to `file`, which the journeys read (they
 * run in other processes than the global setup). Mail leaves the server as it would in production.
 */
export async function startMailbox(file: string): Promise<{ url: string; close(): Promise<void> }> {
  fs.writeFileSync(file, '');
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, done) {
      simpleParser(stream)
        .then((m) => {
          const to = (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase()));
          const mail: ReceivedMail = { to, subject: m.subject ?? '', text: m.text ?? '' };
          fs.appendFileSync(file, JSON.stringify(mail) + '\n');
          done();
        })
        .catch(done);
    },
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.server.address() as AddressInfo).port)));
  return { url: `smtp://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The messages received so far for `to`, oldest first. */
export function mailTo(file: string, to: string): ReceivedMail[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  return lines.map((l) => JSON.parse(l) as ReceivedMail).filter((m) => m.to.includes(to.toLowerCase()));
}

/**
 * Waits for the `n`th message to `to` whose text holds a link matching `link` (it goes out from a job
 * a moment after the request), and answers the link.
 */
export async function linkIn(file: string, to: string, link: RegExp, n = 1, timeoutMs = 20_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const links = mailTo(file, to)
      .map((m) => link.exec(m.text)?.[0])
      .filter((l): l is string => !!l);
    if (links.length >= n) return links[n - 1]!;
    if (Date.now() > until) expect.fail(`no message #${n} to ${to} with a link like ${link} within ${timeoutMs} ms (got ${mailTo(file, to).length} messages)`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
