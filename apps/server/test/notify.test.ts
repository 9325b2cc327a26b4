import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, until, type TestApp } from './helpers.ts';

/** A local SMTP server standing in for the mail relay: it keeps what it receives, or refuses on demand. */
function localSmtp() {
  const received: ParsedMail[] = [];
  let refuse = false;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, done) {
      if (refuse) {
        stream.resume();
        stream.on('end', () => done(Object.assign(new Error('Mailbox unavailable'), { responseCode: 451 })));
        return;
      }
      simpleParser(stream)
        .then((m) => {
          received.push(m);
          done();
        })
        .catch(done);
    },
  });
  return {
    received,
    setRefuse: (v: boolean) => {
      refuse = v;
    },
    listen: () => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.server.address() as AddressInfo).port))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}


const submit = (t: TestApp, email: string) =>
  t.inject({
    method: 'POST',
    url: '/api/tickets/public?org=default',
    payload: { name: 'Mia Mailer', email, subject: 'Badge not working', description: 'My badge stopped opening door 4.' },
  });

describe('outbound email over SMTP', () => {
  const smtp = localSmtp();
  let t: TestApp;
  beforeAll(async () => {
    const port = await smtp.listen();
    t = await createTestApp({ SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM: 'Desk <desk@example.test>', PUBLIC_URL: 'https://desk.example.test' });
  });
  afterAll(async () => {
    await t?.close();
    await smtp.close();
  });

  it('sends the confirmation with the requester link and threading headers, and records it as sent', async () => {
    const res = await submit(t, 'mia@example.test');
    expect(res.statusCode, res.body).toBe(201);
    const { id, number, link } = res.json() as { id: string; number: number; link: string };
    const mail = await until(async () => smtp.received.find((m) => m.subject?.includes(`#${number}`)));
    expect(mail.to && 'text' in mail.to ? mail.to.text : '').toBe('mia@example.test');
    expect(mail.from?.text).toContain('desk@example.test');
    expect(mail.text).toContain(link);
    expect(mail.messageId).toBe(`<ticket-${id}@imsop>`);
    // The relay has the message; the sender records the outcome right after the relay's answer.
    const read = async () =>
      ((await t.database.db.execute(sql`select status, attempts from notifications where meta->>'ticketId' = ${id}`)) as unknown as { rows: { status: string; attempts: number }[] }).rows;
    await until(async () => (await read()).find((r) => r.status !== 'pending'));
    expect(await read()).toEqual([{ status: 'sent', attempts: 1 }]);

    // The agent's public reply goes out in the same thread.
    const reply = await t.inject({ method: 'POST', url: `/api/tickets/${id}/replies`, headers: { authorization: `Bearer ${t.adminToken}` }, payload: { body: 'Please try door 5 meanwhile.' } });
    expect(reply.statusCode).toBe(201);
    const answer = await until(async () => smtp.received.find((m) => m.subject === `Re: [#${number}] Badge not working`));
    expect(answer.inReplyTo).toBe(`<ticket-${id}@imsop>`);
    expect(answer.text).toContain('Please try door 5 meanwhile.');
  });

  it('keeps a message queued with back-off while the relay refuses, then delivers it once', async () => {
    smtp.setRefuse(true);
    const res = await submit(t, 'retry@example.test');
    const { id, number } = res.json() as { id: string; number: number };
    const q = () => t.database.db.execute(sql`select status, attempts, last_error, next_attempt_at from notifications where meta->>'ticketId' = ${id}`) as unknown as Promise<{
      rows: { status: string; attempts: number; last_error: string | null; next_attempt_at: Date }[];
    }>;
    const failed = await until(async () => (await q()).rows.find((r) => r.attempts >= 1 && r.last_error));
    expect(failed.status).toBe('pending');
    expect(failed.last_error).toMatch(/451|unavailable/i);
    expect(new Date(failed.next_attempt_at).getTime()).toBeGreaterThan(Date.now() + 5_000);
    smtp.setRefuse(false);
    // Make it due now, as the back-off would after its delay.
    await t.database.db.execute(sql`update jobs set run_at = now() where name = 'platform.notify.send'
      and payload->>'id' in (select id::text from notifications where meta->>'ticketId' = ${id})`);
    await t.app.platform.notifier.drain();
    const sent = await until(async () => (await q()).rows.find((r) => r.status === 'sent'));
    expect(sent.attempts).toBe(2);
    expect(smtp.received.filter((m) => m.subject?.includes(`#${number}`)).length).toBe(1);
  });

  it('a message the relay refuses on its last attempt is kept as failed, and its send job too', async () => {
    smtp.setRefuse(true);
    try {
      const { id } = (await submit(t, 'last@example.test')).json() as { id: string };
      const q = async () =>
        ((await t.database.db.execute(sql`select n.status, n.attempts, j.status as job_status, j.attempts as job_attempts, j.last_error is not null and j.locked_by is null as retrying
              from notifications n left join jobs j on j.name = 'platform.notify.send' and j.payload->>'id' = n.id::text
             where n.meta->>'ticketId' = ${id}`)) as unknown as { rows: { status: string; attempts: number; job_status: string | null; job_attempts: number | null; retrying: boolean | null }[] }).rows;
      // The first run failed and its job waits for the next (not mid-run).
      await until(async () => (await q()).find((r) => r.retrying));
      // Seven runs behind it: the next one is its last.
      await t.database.db.execute(sql`update jobs set attempts = 7, run_at = now() where name = 'platform.notify.send'
        and payload->>'id' in (select id::text from notifications where meta->>'ticketId' = ${id})`);
      await t.app.platform.notifier.drain();
      expect(await until(async () => (await q()).find((r) => r.status === 'failed'))).toMatchObject({ status: 'failed', attempts: 8, job_status: 'failed', job_attempts: 8 });
    } finally {
      smtp.setRefuse(false);
    }
  });
});

describe('without SMTP', () => {
  it('keeps messages as the notifications log, marked as logged', async () => {
    const t = await createTestApp();
    try {
      const { id } = (await submit(t, 'log@example.test')).json() as { id: string };
      await t.app.platform.notifier.drain();
      // The sender's own timer may have claimed it first: wait for the outcome either way.
      const read = async () =>
        ((await t.database.db.execute(sql`select status, meta->>'transport' as transport from notifications where meta->>'ticketId' = ${id}`)) as unknown as {
          rows: { status: string; transport: string }[];
        }).rows;
      await until(async () => (await read()).find((r) => r.status !== 'pending'));
      expect(await read()).toEqual([{ status: 'sent', transport: 'log' }]);
    } finally {
      await t.close();
    }
  });
});
