/**
 * WhatsApp and SMS channels of the service desk, against a local stand-in that speaks the WhatsApp
 * Business Cloud API (Graph API) and Twilio's Messages resource: adapters' contracts, webhook
 * signatures, the chat flow through the webhooks, redelivery, other orgs and bad input.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { twilioSignature, twilioSms } from '../src/platform/messaging/twilio.ts';
import { WHATSAPP_WEBHOOK_EXAMPLE, whatsappCloud, whatsappSignature } from '../src/platform/messaging/whatsapp.ts';
import { bearer, createOrg, createTestApp, expectProblem, until, type TestApp } from './helpers.ts';

// ---------------------------------------------------------------------------------------------
// The stand-in provider

type Mode = { status: number; body: unknown } | null;
interface Recorded {
  api: 'whatsapp' | 'twilio';
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

/**
 * A node:http server answering like the Graph API (`POST /{version}/{phone-number-id}/messages`,
 * Bearer token) and Twilio (`POST /2010-04-01/Accounts/{sid}/Messages.json`, form-encoded, basic
 * auth). It refuses wrong credentials as the real ones do, records what it accepts, and can be told
 * to fail.
 */
function standIn(creds: { waToken: string; phoneNumberId: string; version: string; sid: string; authToken: string }) {
  const calls: Recorded[] = [];
  /** The next call to this recipient (digits for WhatsApp, E.164 for Twilio) gets this answer. */
  const failNext = new Map<string, NonNullable<Mode>>();
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const url = req.url ?? '';
      if (req.method === 'POST' && url === `/${creds.version}/${creds.phoneNumberId}/messages`) {
        if (req.headers.authorization !== `Bearer ${creds.waToken}`) return send(401, { error: { message: 'Invalid OAuth access token - Cannot parse access token', type: 'OAuthException', code: 190 } });
        if (!String(req.headers['content-type']).startsWith('application/json')) return send(400, { error: { message: 'Unsupported content type', code: 100 } });
        const body = JSON.parse(raw) as Record<string, unknown>;
        const fail = failNext.get(String(body.to));
        if (fail) {
          failNext.delete(String(body.to));
          return send(fail.status, fail.body);
        }
        if (body.messaging_product !== 'whatsapp' || body.type !== 'text') return send(400, { error: { message: 'Invalid parameter', code: 100 } });
        calls.push({ api: 'whatsapp', path: url, authorization: req.headers.authorization, contentType: req.headers['content-type'], body });
        const to = String(body.to);
        return send(200, { messaging_product: 'whatsapp', contacts: [{ input: to, wa_id: to }], messages: [{ id: `wamid.standin${++n}` }] });
      }
      if (req.method === 'POST' && url === `/2010-04-01/Accounts/${creds.sid}/Messages.json`) {
        const expected = `Basic ${Buffer.from(`${creds.sid}:${creds.authToken}`).toString('base64')}`;
        if (req.headers.authorization !== expected) return send(401, { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
        if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') return send(400, { code: 20001, message: 'Bad content type', status: 400 });
        const body = Object.fromEntries(new URLSearchParams(raw));
        const fail = failNext.get(String(body.To));
        if (fail) {
          failNext.delete(String(body.To));
          return send(fail.status, fail.body);
        }
        if (!body.To || !body.Body || !(body.From || body.MessagingServiceSid)) return send(400, { code: 21604, message: "A 'To' phone number is required.", status: 400 });
        calls.push({ api: 'twilio', path: url, authorization: req.headers.authorization, contentType: req.headers['content-type'], body });
        return send(201, { sid: `SM${crypto.randomBytes(16).toString('hex')}`, status: 'queued', to: body.To, from: body.From, body: body.Body });
      }
      send(404, { error: { message: `Unknown path ${url}` } });
    });
  });
  return {
    calls,
    failNext,
    listen: () => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---------------------------------------------------------------------------------------------
// Fixtures

const secret = () => crypto.randomBytes(18).toString('base64url');
const creds = {
  waToken: secret(),
  phoneNumberId: '106540352242922',
  version: 'v21.0',
  appSecret: secret(),
  verifyToken: secret(),
  sid: `AC${crypto.randomBytes(16).toString('hex')}`,
  authToken: secret(),
  from: '+15005550006',
};
const PUBLIC_URL = 'https://desk.example.test';
const provider = standIn(creds);
let t: TestApp;
let apiUrl = '';

beforeAll(async () => {
  apiUrl = await provider.listen();
  t = await createTestApp({
    PUBLIC_URL,
    WHATSAPP_API_URL: apiUrl,
    WHATSAPP_API_VERSION: creds.version,
    WHATSAPP_TOKEN: creds.waToken,
    WHATSAPP_PHONE_NUMBER_ID: creds.phoneNumberId,
    WHATSAPP_APP_SECRET: creds.appSecret,
    WHATSAPP_VERIFY_TOKEN: creds.verifyToken,
    WHATSAPP_ORG: 'default',
    TWILIO_API_URL: apiUrl,
    TWILIO_ACCOUNT_SID: creds.sid,
    TWILIO_AUTH_TOKEN: creds.authToken,
    TWILIO_FROM: creds.from,
  });
});
afterAll(async () => {
  await t?.close();
  await provider.close();
});
beforeEach(() => provider.failNext.clear());

const rows = async <T>(q: ReturnType<typeof sql>) => ((await t.database.db.execute(q)) as unknown as { rows: T[] }).rows;
const count = async (table: string) => Number((await rows<{ n: number }>(sql.raw(`select count(*)::int as n from ${table}`)))[0]!.n);

let wamid = 0;
/** A WhatsApp Cloud API notification (the documented example) with one message from `from` (digits, no +). */
function waPayload(from: string, text: string | null, id = `wamid.test${++wamid}`, phoneNumberId = creds.phoneNumberId) {
  const payload = structuredClone(WHATSAPP_WEBHOOK_EXAMPLE);
  const value = payload.entry[0]!.changes[0]!.value;
  value.metadata.phone_number_id = phoneNumberId;
  value.contacts[0]!.wa_id = from;
  value.messages = [
    text === null ? { from, id, timestamp: '1749416383', type: 'image', image: { id: 'media1', mime_type: 'image/jpeg' } } : { from, id, timestamp: '1749416383', type: 'text', text: { body: text } },
  ];
  return payload;
}

type Signing = 'valid' | 'none' | 'wrong-secret' | 'no-prefix';
function postWa(slug: string, payload: unknown, sign: Signing = 'valid', raw?: string): Promise<LightMyRequestResponse> {
  const body = raw ?? JSON.stringify(payload);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (sign === 'valid') headers['x-hub-signature-256'] = whatsappSignature(creds.appSecret, body);
  if (sign === 'wrong-secret') headers['x-hub-signature-256'] = whatsappSignature(secret(), body);
  if (sign === 'no-prefix') headers['x-hub-signature-256'] = whatsappSignature(creds.appSecret, body).slice('sha256='.length);
  return t.inject({ method: 'POST', url: `/api/webhooks/whatsapp/${slug}`, headers, payload: body });
}
/** One customer text through the WhatsApp webhook; answers the message id. */
async function say(slug: string, from: string, text: string | null): Promise<string> {
  const payload = waPayload(from, text);
  const res = await postWa(slug, payload);
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json()).toEqual({ received: 1, duplicates: 0 });
  return String(payload.entry[0]!.changes[0]!.value.messages[0]!.id);
}

let smsId = 0;
function postSms(slug: string, params: Record<string, string>, opts: { sign?: 'valid' | 'none' | 'other-url'; tamper?: Record<string, string> } = {}) {
  const url = `/api/webhooks/sms/${slug}`;
  const signedParams = Object.entries(params);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if ((opts.sign ?? 'valid') === 'valid') headers['x-twilio-signature'] = twilioSignature(creds.authToken, `${PUBLIC_URL}${url}`, signedParams);
  if (opts.sign === 'other-url') headers['x-twilio-signature'] = twilioSignature(creds.authToken, `http://desk.example.test${url}`, signedParams);
  const sent = new URLSearchParams({ ...params, ...(opts.tamper ?? {}) }).toString();
  return t.inject({ method: 'POST', url, headers, payload: sent });
}
const smsParams = (from: string, body: string) => ({
  MessageSid: `SM${(++smsId).toString(16).padStart(32, '0')}`,
  SmsSid: 'legacy',
  AccountSid: creds.sid,
  From: from,
  To: creds.from,
  Body: body,
  NumMedia: '0',
});
async function text(slug: string, from: string, body: string) {
  const res = await postSms(slug, smsParams(from, body));
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/xml/);
  expect(res.body).toContain('<Response></Response>');
}

/** Calls the stand-in accepted for one recipient (digits for WhatsApp, E.164 for Twilio). */
const sentTo = (api: 'whatsapp' | 'twilio', to: string) => provider.calls.filter((c) => c.api === api && (api === 'whatsapp' ? c.body.to : c.body.To) === to);
/**
 * Waits until `to` has received `n` more messages than `before`. The app's own sender delivers
 * them (woken at each commit): one sender per instance keeps a customer's messages in order.
 */
async function delivered(api: 'whatsapp' | 'twilio', to: string, before: number, n = 1) {
  return until(async () => {
    const got = sentTo(api, to);
    return got.length >= before + n ? got.slice(before) : undefined;
  });
}
const waText = (c: Recorded) => (c.body.text as { body: string }).body;

type Ticket = { id: string; number: number; status: string; channel: string; subject: string; description: string; requester: { name: string; email: string | null; mobile: string | null } };
const getTicket = async (id: string) => (await t.inject({ method: 'GET', url: `/api/tickets/${id}`, headers: bearer(t.adminToken) })).json() as Ticket;
const conversation = async (orgSlug: string, phone: string, channel = 'whatsapp') =>
  (
    await rows<{ state: string; ticket_id: string | null; data: Record<string, unknown> }>(
      sql`select c.state, c.ticket_id, c.data from whatsapp_conversations c join organizations o on o.id = c.org_id where o.slug = ${orgSlug} and c.phone = ${phone} and c.channel = ${channel}`,
    )
  )[0];

// ---------------------------------------------------------------------------------------------

describe('adapters against the stand-in (contract)', () => {
  it('WhatsApp: POST /{version}/{phone-number-id}/messages with the Bearer token; a wrong token fails without leaking it', async () => {
    const wa = whatsappCloud({ apiUrl, version: creds.version, token: creds.waToken, phoneNumberId: creds.phoneNumberId });
    const out = await wa.send('+16505550111', 'Hello there');
    expect(out.messageId).toMatch(/^wamid\.standin\d+$/);
    const call = sentTo('whatsapp', '16505550111').at(-1)!;
    expect(call.body).toEqual({ messaging_product: 'whatsapp', recipient_type: 'individual', to: '16505550111', type: 'text', text: { preview_url: false, body: 'Hello there' } });
    expect(call.contentType).toMatch(/^application\/json/);

    const wrong = secret();
    const bad = whatsappCloud({ apiUrl, version: creds.version, token: wrong, phoneNumberId: creds.phoneNumberId });
    const err = (await bad.send('+16505550111', 'x').catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(/WhatsApp Cloud API answered 401: Invalid OAuth access token.*\(code 190\)/);
    expect(err.message).not.toContain(wrong);
    expect(whatsappCloud({ apiUrl, version: creds.version }).canSend).toBe(false);
  });

  it('Twilio: POST /2010-04-01/Accounts/{sid}/Messages.json form-encoded with basic auth; a Messaging Service SID is sent as such', async () => {
    const sms = twilioSms({ apiUrl, accountSid: creds.sid, authToken: creds.authToken, from: creds.from });
    const out = await sms.send('+14155550100', 'Hello by SMS');
    expect(out.messageId).toMatch(/^SM[0-9a-f]{32}$/);
    const call = sentTo('twilio', '+14155550100').at(-1)!;
    expect(call.body).toEqual({ To: '+14155550100', From: creds.from, Body: 'Hello by SMS' });

    const service = `MG${'a'.repeat(32)}`;
    await twilioSms({ apiUrl, accountSid: creds.sid, authToken: creds.authToken, from: service }).send('+14155550100', 'Via service');
    expect(sentTo('twilio', '+14155550100').at(-1)!.body).toEqual({ To: '+14155550100', MessagingServiceSid: service, Body: 'Via service' });

    const wrong = secret();
    const err = (await twilioSms({ apiUrl, accountSid: creds.sid, authToken: wrong, from: creds.from }).send('+14155550100', 'x').catch((e: Error) => e)) as Error;
    expect(err.message).toBe('Twilio answered 401: Authenticate (code 20003)');
  });

  it('long texts are cut to what the provider accepts', async () => {
    await whatsappCloud({ apiUrl, version: creds.version, token: creds.waToken, phoneNumberId: creds.phoneNumberId }).send('+16505550111', 'w'.repeat(5000));
    expect(waText(sentTo('whatsapp', '16505550111').at(-1)!)).toHaveLength(4096);
    await twilioSms({ apiUrl, accountSid: creds.sid, authToken: creds.authToken, from: creds.from }).send('+14155550100', 's'.repeat(2000));
    expect(String(sentTo('twilio', '+14155550100').at(-1)!.body.Body)).toHaveLength(1600);
  });
});

describe('WhatsApp webhook signatures', () => {
  const stored = async () => ({ inbound: await count('inbound_messages'), conversations: await count('whatsapp_conversations'), notifications: await count('notifications') });

  it('refuses a wrong, missing, unprefixed or body-mismatched signature with 401 and stores nothing', async () => {
    const before = await stored();
    const payload = waPayload('16505550001', 'hello');
    const body = JSON.stringify(payload);
    const tampered = body.replace('hello', 'HELLO');
    const refused = [
      await postWa('default', payload, 'wrong-secret'),
      await postWa('default', payload, 'none'),
      await postWa('default', payload, 'no-prefix'),
      // Signed, then changed on the way.
      await t.inject({
        method: 'POST',
        url: '/api/webhooks/whatsapp/default',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': whatsappSignature(creds.appSecret, body) },
        payload: tampered,
      }),
      // The same JSON re-serialised with other whitespace is other bytes.
      await t.inject({
        method: 'POST',
        url: '/api/webhooks/whatsapp/default',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': whatsappSignature(creds.appSecret, body) },
        payload: JSON.stringify(payload, null, 2),
      }),
    ];
    for (const res of refused) expectProblem(res, 401, 'invalid_signature');
    expect(await stored()).toEqual(before);
    // The same bytes with the right signature go through.
    const ok = await postWa('default', payload);
    expect(ok.statusCode, ok.body).toBe(200);
    expect((await stored()).inbound).toBe(before.inbound + 1);
  });

  it('a delivery is accepted only at the URL of the org that owns the number: replayed to another org it is refused, and message ids are unique across orgs', async () => {
    const other = await createOrg(t);
    const before = await stored();
    // A signed delivery for the owner (default), replayed to another org's URL: refused before anything is stored or answered.
    const payload = waPayload('16505550002', 'hello from A');
    expectProblem(await postWa(other.slug, payload), 404);
    // A fresh message to the same number sent to the other org's URL: refused too.
    expectProblem(await postWa(other.slug, waPayload('16505550003', 'hello')), 404);
    expect(await stored()).toEqual(before);
    expect(await rows(sql`select 1 from whatsapp_conversations c join organizations o on o.id = c.org_id where o.slug = ${other.slug}`)).toEqual([]);
    // The owner's URL takes it, once.
    expect((await postWa('default', payload)).json()).toEqual({ received: 1, duplicates: 0 });
    expectProblem(await postWa(other.slug, payload), 404);
    expect((await postWa('default', payload)).json()).toEqual({ received: 0, duplicates: 1 });
    // The handshake, too, answers only at the owner's URL.
    const q = `hub.mode=subscribe&hub.verify_token=${encodeURIComponent(creds.verifyToken)}&hub.challenge=77`;
    expectProblem(await t.inject({ method: 'GET', url: `/api/webhooks/whatsapp/${other.slug}?${q}` }), 404);
    // De-duplication is global: a message id recorded for one org cannot be recorded for another.
    const [{ orgId }] = (await rows<{ orgId: string }>(sql`select id as "orgId" from organizations where slug = ${other.slug}`)) as [{ orgId: string }];
    const id = String(payload.entry[0]!.changes[0]!.value.messages[0]!.id);
    const inserted = await rows(sql`insert into inbound_messages (org_id, provider, message_id) values (${orgId}, 'whatsapp_cloud', ${id}) on conflict do nothing returning message_id`);
    expect(inserted).toEqual([]);
  });

  it('the GET handshake echoes the challenge only for the right verify token and a known org', async () => {
    const q = (token: string, mode = 'subscribe') => `hub.mode=${mode}&hub.verify_token=${encodeURIComponent(token)}&hub.challenge=1158201444`;
    const ok = await t.inject({ method: 'GET', url: `/api/webhooks/whatsapp/default?${q(creds.verifyToken)}` });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toMatch(/^text\/plain/);
    expect(ok.body).toBe('1158201444');
    expectProblem(await t.inject({ method: 'GET', url: `/api/webhooks/whatsapp/default?${q('wrong-token')}` }), 401, 'invalid_verify_token');
    expectProblem(await t.inject({ method: 'GET', url: `/api/webhooks/whatsapp/default?${q(creds.verifyToken, 'unsubscribe')}` }), 401, 'invalid_verify_token');
    expectProblem(await t.inject({ method: 'GET', url: `/api/webhooks/whatsapp/no-such-org?${q(creds.verifyToken)}` }), 404);
    expectProblem(await t.inject({ method: 'GET', url: '/api/webhooks/whatsapp/default?hub.mode=subscribe' }), 401, 'invalid_verify_token');
    expectProblem(await t.inject({ method: 'GET', url: `/api/webhooks/whatsapp/default?hub.mode=subscribe&hub.verify_token=${encodeURIComponent(creds.verifyToken)}` }), 400, 'challenge_missing');
  });
});

describe('Twilio webhook signatures', () => {
  it('verifies the documented example (URL with query, sorted parameters)', () => {
    // From Twilio's security documentation: auth token 12345 and these parameters give this signature.
    const params: [string, string][] = [
      ['CallSid', 'CA1234567890ABCDE'],
      ['Caller', '+14158675309'],
      ['Digits', '1234'],
      ['From', '+14158675309'],
      ['To', '+18005551212'],
    ];
    expect(twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', params)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
    expect(twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', [...params].reverse())).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
    expect(twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=3', params)).not.toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
  });

  it('accepts a call signed over this URL and its parameters; refuses another URL, a changed parameter or no signature', async () => {
    const before = await count('inbound_messages');
    const from = '+14155550101';
    expectProblem(await postSms('default', smsParams(from, 'hi'), { sign: 'none' }), 401, 'invalid_signature');
    expectProblem(await postSms('default', smsParams(from, 'hi'), { sign: 'other-url' }), 401, 'invalid_signature');
    expectProblem(await postSms('default', smsParams(from, 'hi'), { tamper: { Body: 'hi!' } }), 401, 'invalid_signature');
    expectProblem(await postSms('default', smsParams(from, 'hi'), { tamper: { Extra: 'added' } }), 401, 'invalid_signature');
    // A signature made for another org's URL does not open this one.
    const params = smsParams(from, 'hi');
    const forOther = twilioSignature(creds.authToken, `${PUBLIC_URL}/api/webhooks/sms/other-org`, Object.entries(params));
    expectProblem(
      await t.inject({ method: 'POST', url: '/api/webhooks/sms/default', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': forOther }, payload: new URLSearchParams(params).toString() }),
      401,
      'invalid_signature',
    );
    expect(await count('inbound_messages')).toBe(before);
    await text('default', from, 'hi');
    expect(await count('inbound_messages')).toBe(before + 1);
  });
});

describe('the WhatsApp flow', () => {
  const phone = '+16505551234';
  const wa = '16505551234';
  let ticketId = '';
  let number = 0;

  it('a customer opens a ticket by chat: name, email, description; each answer goes out through the Graph API', async () => {
    const before = sentTo('whatsapp', wa).length;
    await say('default', wa, 'Hi, I need help');
    expect((await conversation('default', phone))!.state).toBe('collecting');
    await say('default', wa, 'Ada Lovelace');
    await say('default', wa, 'Ada@Example.test');
    const answers = await delivered('whatsapp', wa, before, 3);
    expect(answers.map((c) => c.body.to)).toEqual([wa, wa, wa]);
    expect(answers.every((c) => c.authorization === `Bearer ${creds.waToken}`)).toBe(true);
    expect(waText(answers[0]!)).toMatch(/What is your name\?/);
    expect(waText(answers[1]!)).toMatch(/Thank you, Ada Lovelace\. What is your email/);
    expect(waText(answers[2]!)).toMatch(/describe your request/);

    await say('default', wa, 'Badge reader broken\nDoor 4 does not open since this morning.');
    const conv = (await conversation('default', phone))!;
    expect(conv.state).toBe('ticket_created');
    ticketId = conv.ticket_id!;
    const ticket = await getTicket(ticketId);
    number = ticket.number;
    expect(ticket).toMatchObject({
      channel: 'whatsapp',
      status: 'new',
      subject: 'Badge reader broken',
      description: 'Badge reader broken\nDoor 4 does not open since this morning.',
      requester: { name: 'Ada Lovelace', email: 'ada@example.test', mobile: phone },
    });
    const [opened] = await delivered('whatsapp', wa, before + 3);
    expect(waText(opened!)).toMatch(new RegExp(`opened ticket #${number}.*${PUBLIC_URL}/portal/tickets/${ticketId}#t=`));

    // Audit and events came through the tickets service's own path; no PII in the audit.
    const audit = (await t.inject({ method: 'GET', url: `/api/audit-logs?entityId=${ticketId}`, headers: bearer(t.adminToken) })).json().data as { action: string; actorType: string }[];
    expect(audit).toEqual([expect.objectContaining({ action: 'ticket.create', actorType: 'anonymous' })]);
    expect(JSON.stringify(audit)).not.toContain('ada@example.test');
    const [ev] = await rows<{ type: string }>(sql`select type from events where topic = 'tickets' and payload->'ticket'->>'id' = ${ticketId}`);
    expect(ev!.type).toBe('ticket.created');
    const convAudit = await rows<{ after: Record<string, unknown> }>(sql`select changes->'after' as after from audit_logs where action = 'conversation.update' order by seq`);
    expect(convAudit.map((a) => a.after.state)).toEqual(expect.arrayContaining(['collecting', 'ticket_created']));
    expect(JSON.stringify(convAudit)).not.toContain(phone);
  });

  it('an agent’s public reply goes to the customer on WhatsApp (not by email); internal notes stay inside', async () => {
    const before = sentTo('whatsapp', wa).length;
    const note = await t.inject({ method: 'POST', url: `/api/tickets/${ticketId}/replies`, headers: bearer(t.adminToken), payload: { body: 'Reader firmware 2.1, known bug', isInternal: true } });
    expect(note.statusCode).toBe(201);
    const res = await t.inject({ method: 'POST', url: `/api/tickets/${ticketId}/replies`, headers: bearer(t.adminToken), payload: { body: 'Please use door 5 while we fix it.' } });
    expect(res.statusCode, res.body).toBe(201);
    const [msg] = await delivered('whatsapp', wa, before);
    expect(msg!.body.to).toBe(wa);
    expect(waText(msg!)).toBe(`#${number}: Please use door 5 while we fix it.\n\nReply here to answer.`);
    const queued = await until(async () => {
      const r = await rows<{ channel: string; status: string; meta: Record<string, unknown> }>(sql`select channel, status, meta from notifications where meta->>'ticketId' = ${ticketId} and meta->>'template' = 'ticket.reply'`);
      return r[0]?.status === 'sent' ? r : undefined;
    });
    expect(queued).toEqual([expect.objectContaining({ channel: 'whatsapp', status: 'sent', meta: expect.objectContaining({ transport: 'whatsapp_cloud', providerMessageId: expect.stringMatching(/^wamid\./) }) })]);
    await new Promise((r) => setTimeout(r, 100));
    expect(sentTo('whatsapp', wa).slice(before).some((c) => waText(c).includes('firmware'))).toBe(false);
  });

  it('the customer answers on a resolved ticket: it reopens, the message is a customer reply; STATUS answers', async () => {
    const resolve = await t.inject({ method: 'PATCH', url: `/api/tickets/${ticketId}`, headers: bearer(t.adminToken), payload: { status: 'resolved' } });
    expect(resolve.statusCode, resolve.body).toBe(200);
    const before = sentTo('whatsapp', wa).length;
    await say('default', wa, 'Door 5 is locked too!');
    expect((await getTicket(ticketId)).status).toBe('open');
    const replies = (await t.inject({ method: 'GET', url: `/api/tickets/${ticketId}/replies`, headers: bearer(t.adminToken) })).json().data as { authorType: string; body: string; channel: string }[];
    expect(replies.at(-1)).toMatchObject({ authorType: 'requester', body: 'Door 5 is locked too!', channel: 'whatsapp' });
    expect((await conversation('default', phone))!.state).toBe('following');
    await say('default', wa, 'status');
    const [ack, status] = await delivered('whatsapp', wa, before, 2);
    expect(waText(ack!)).toBe(`Thank you. We added your message to ticket #${number}. The ticket is open again.`);
    expect(waText(status!)).toBe(`Ticket #${number} “Badge reader broken” is open; an agent is working on it.`);
  });

  it('a redelivered webhook is acknowledged and changes nothing', async () => {
    const payload = waPayload(wa, 'Any news?');
    const first = await postWa('default', payload);
    expect(first.json()).toEqual({ received: 1, duplicates: 0 });
    const counts = { replies: await count('ticket_replies'), notifications: await count('notifications'), audit: await count('audit_logs') };
    for (let i = 0; i < 2; i++) {
      const again = await postWa('default', payload);
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual({ received: 0, duplicates: 1 });
    }
    // Two copies of one message in one delivery count once too.
    const doubled = waPayload(wa, 'Twice');
    const value = doubled.entry[0]!.changes[0]!.value;
    value.messages.push({ ...value.messages[0]! });
    expect((await postWa('default', doubled)).json()).toEqual({ received: 1, duplicates: 1 });
    expect(await count('ticket_replies')).toBe(counts.replies + 1);
    expect(await count('notifications')).toBe(counts.notifications + 1);
  });

  it('a merged ticket is followed to the ticket it was merged into', async () => {
    const target = await t.inject({ method: 'POST', url: '/api/tickets', headers: bearer(t.adminToken), payload: { subject: 'All door readers', requester: { name: 'Facilities', email: 'fac@example.test' } } });
    const targetId = (target.json() as { id: string }).id;
    const merge = await t.inject({ method: 'POST', url: `/api/tickets/${ticketId}/merge`, headers: bearer(t.adminToken), payload: { intoId: targetId } });
    expect(merge.statusCode, merge.body).toBe(200);
    await say('default', wa, 'Door 6 as well');
    expect((await conversation('default', phone))!.ticket_id).toBe(targetId);
    const replies = (await t.inject({ method: 'GET', url: `/api/tickets/${targetId}/replies`, headers: bearer(t.adminToken) })).json().data as { body: string }[];
    expect(replies.map((r) => r.body)).toContain('Door 6 as well');
    ticketId = targetId;
  });

  it('NEW opens another request; after a ticket is closed, a message starts a new one', async () => {
    await say('default', wa, 'new');
    await say('default', wa, 'Coffee machine leaking');
    const second = (await conversation('default', phone))!.ticket_id!;
    expect(second).not.toBe(ticketId);
    // Name and email were kept from the first request.
    expect(await getTicket(second)).toMatchObject({ subject: 'Coffee machine leaking', channel: 'whatsapp', requester: { name: 'Ada Lovelace', email: 'ada@example.test' } });
    const close = await t.inject({ method: 'PATCH', url: `/api/tickets/${second}`, headers: bearer(t.adminToken), payload: { status: 'closed' } });
    expect(close.statusCode).toBe(200);
    await say('default', wa, 'It is leaking again');
    expect(await conversation('default', phone)).toMatchObject({ state: 'collecting', data: { ask: 'description' } });
  });

  it('non-text messages, status updates and messages to another number are not read as answers', async () => {
    const phone2 = '+447911123456';
    await say('default', '447911123456', null);
    expect(await conversation('default', phone2)).toMatchObject({ state: 'collecting', data: { ask: 'name' } });
    await say('default', '447911123456', null);
    expect(await conversation('default', phone2)).toMatchObject({ state: 'collecting', data: { ask: 'name' } });
    const statuses = { object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { phone_number_id: creds.phoneNumberId }, statuses: [{ id: 'wamid.x', status: 'read' }] } }] }] };
    expect((await postWa('default', statuses)).json()).toEqual({ received: 0, duplicates: 0 });
    expect((await postWa('default', waPayload('447911123456', 'hello', undefined, '999999'))).json()).toEqual({ received: 0, duplicates: 0 });
    // A sender that is not a phone number is ignored.
    expect((await postWa('default', waPayload('12', 'hello'))).json()).toEqual({ received: 0, duplicates: 0 });
  });
});

describe('the SMS flow (Twilio)', () => {
  it('opens a ticket with channel sms; the agent’s reply goes out through Twilio with basic auth', async () => {
    const from = '+14155550123';
    const before = sentTo('twilio', from).length;
    await text('default', from, 'hello');
    await text('default', from, 'Bo Ramos');
    await text('default', from, 'SKIP');
    await text('default', from, 'VPN drops every hour');
    const conv = (await conversation('default', from, 'sms'))!;
    const ticket = await getTicket(conv.ticket_id!);
    expect(ticket).toMatchObject({ channel: 'sms', subject: 'VPN drops every hour', requester: { name: 'Bo Ramos', email: null, mobile: from } });
    const answers = await delivered('twilio', from, before, 4);
    expect(answers.every((c) => c.body.To === from && c.body.From === creds.from)).toBe(true);
    // Chat replies are not guaranteed to arrive in order (see docs/servicedesk.md, Limits): look for the confirmation among them.
    expect(answers.filter((a) => String(a.body.Body).includes(`ticket #${ticket.number}`))).toHaveLength(1);

    const reply = await t.inject({ method: 'POST', url: `/api/tickets/${ticket.id}/replies`, headers: bearer(t.adminToken), payload: { body: 'Please update your VPN client.' } });
    expect(reply.statusCode).toBe(201);
    const expected = { To: from, From: creds.from, Body: `#${ticket.number}: Please update your VPN client.\n\nReply here to answer.` };
    const out = await until(async () => sentTo('twilio', from).slice(before).find((c) => String(c.body.Body).startsWith(`#${ticket.number}:`)));
    expect(out.body).toEqual(expected);
    // A WhatsApp conversation with the same number is another conversation.
    expect(await conversation('default', from, 'whatsapp')).toBeUndefined();
  });
});

describe('provider failures', () => {
  it('4xx and 5xx answers are retried by the notifier with the error recorded (and no credential in it)', async () => {
    const wa = '16505559876';
    provider.failNext.set(wa, { status: 503, body: { error: { message: 'Service temporarily unavailable', type: 'OAuthException', code: 2 } } });
    await say('default', wa, 'hello');
    const q = () => rows<{ status: string; attempts: number; last_error: string | null; next_attempt_at: Date }>(sql`select status, attempts, last_error, next_attempt_at from notifications where "to" = ${'+' + wa}`);
    const failed = await until(async () => (await q()).find((r) => r.last_error));
    expect(failed).toMatchObject({ status: 'pending', attempts: 1 });
    expect(failed.last_error).toBe('WhatsApp Cloud API answered 503: Service temporarily unavailable (code 2)');
    expect(failed.last_error).not.toContain(creds.waToken);
    expect(new Date(failed.next_attempt_at).getTime()).toBeGreaterThan(Date.now() + 5_000);

    // Due again: this time a 4xx (outside the customer service window), retried too.
    provider.failNext.set(wa, { status: 400, body: { error: { message: 'Re-engagement message', type: 'OAuthException', code: 131047 } } });
    await t.database.db.execute(sql`update jobs set run_at = now() where name = 'platform.notify.send' and payload->>'id' in (select id::text from notifications where "to" = ${'+' + wa})`);
    const again = await until(async () => (await q()).find((r) => r.attempts === 2 && r.last_error?.includes('131047')));
    expect(again).toMatchObject({ status: 'pending', last_error: 'WhatsApp Cloud API answered 400: Re-engagement message (code 131047)' });

    const before = sentTo('whatsapp', wa).length;
    await t.database.db.execute(sql`update jobs set run_at = now() where name = 'platform.notify.send' and payload->>'id' in (select id::text from notifications where "to" = ${'+' + wa})`);
    await delivered('whatsapp', wa, before);
    const sent = await until(async () => (await q()).find((r) => r.status === 'sent'));
    expect(sent).toMatchObject({ attempts: 3, last_error: null });
    expect(sentTo('whatsapp', wa).length).toBe(before + 1);
  });

  it('Twilio errors are recorded and retried the same way', async () => {
    const from = '+14155550177';
    provider.failNext.set(from, { status: 500, body: { code: 20500, message: 'Internal Server Error', status: 500 } });
    await text('default', from, 'hello');
    const q = () => rows<{ status: string; attempts: number; last_error: string | null }>(sql`select status, attempts, last_error from notifications where "to" = ${from}`);
    const failed = await until(async () => (await q()).find((r) => r.last_error));
    expect(failed).toMatchObject({ status: 'pending', attempts: 1, last_error: 'Twilio answered 500: Internal Server Error (code 20500)' });
    const before = sentTo('twilio', from).length;
    await t.database.db.execute(sql`update jobs set run_at = now() where name = 'platform.notify.send' and payload->>'id' in (select id::text from notifications where "to" = ${from})`);
    await delivered('twilio', from, before);
    expect(await until(async () => (await q()).find((r) => r.status === 'sent'))).toMatchObject({ attempts: 2, last_error: null });
  });
});

describe('other orgs', () => {
  it('each org has its own conversations; an unknown slug is 404; another org’s agents do not see the ticket', async () => {
    const other = await createOrg(t);
    const wa = '4915112345678';
    const phone = '+4915112345678';
    await say('default', wa, 'hi');
    await say('default', wa, 'Grace');
    await say('default', wa, 'skip');
    await say('default', wa, 'Projector broken');
    const mine = (await conversation('default', phone))!;
    expect(mine.state).toBe('ticket_created');
    // The same customer texting the other org (its SMS URL; the WhatsApp number is default's) starts from the beginning there.
    await text(other.slug, phone, 'hello');
    expect(await conversation(other.slug, phone, 'sms')).toMatchObject({ state: 'collecting', ticket_id: null });
    expect(await conversation('default', phone)).toMatchObject({ state: 'ticket_created', ticket_id: mine.ticket_id });
    expectProblem(await t.inject({ method: 'GET', url: `/api/tickets/${mine.ticket_id}`, headers: bearer(other.token) }), 404);
    // The same WhatsApp message at the other org's URL is not another message: that URL does not take the number's deliveries.
    const payload = waPayload(wa, 'dup across orgs');
    expect((await postWa('default', payload)).json()).toEqual({ received: 1, duplicates: 0 });
    expectProblem(await postWa(other.slug, payload), 404);

    const before = await count('inbound_messages');
    expectProblem(await postWa('no-such-org', waPayload(wa, 'hello')), 404);
    expectProblem(await postSms('no-such-org', smsParams('+14155550123', 'hi')), 404);
    expect(await count('inbound_messages')).toBe(before);
  });
});

describe('bad input on the webhook routes', () => {
  const signedRaw = (url: string, body: string, contentType = 'application/json') =>
    t.inject({ method: 'POST', url, headers: { 'content-type': contentType, 'x-hub-signature-256': whatsappSignature(creds.appSecret, body) }, payload: body });

  it('answers 4xx problem+json, never 5xx', async () => {
    const wa = '/api/webhooks/whatsapp/default';
    expectProblem(await signedRaw(wa, '{"object":'), 400);
    expectProblem(await signedRaw(wa, ''), 400);
    expectProblem(await signedRaw(wa, '{"object":"whatsapp_business_account","entry":{}}'), 400);
    expectProblem(await signedRaw(wa, '{"object":"whatsapp_business_account"}'), 400);
    expectProblem(await signedRaw(wa, '{"__proto__":{"x":1},"object":"w","entry":[]}'), 400);
    expectProblem(await signedRaw(wa, JSON.stringify(waPayload('1', 'x\u0000y'))), 400);
    expectProblem(await signedRaw(wa, 'hello', 'text/plain'), 415);
    expectProblem(await signedRaw('/api/webhooks/whatsapp/Not%20A%20Slug', JSON.stringify(waPayload('16505551234', 'x'))), 400);
    expectProblem(await signedRaw(wa, JSON.stringify({ ...waPayload('16505551234', 'x'), pad: 'x'.repeat(1_100_000) })), 413);
    const badMessage = waPayload('16505551234', 'x');
    (badMessage.entry[0]!.changes[0]!.value.messages[0] as Record<string, unknown>).id = '';
    expectProblem(await signedRaw(wa, JSON.stringify(badMessage)), 400);

    const sms = '/api/webhooks/sms/default';
    const signedForm = (params: Record<string, string>, url = sms) =>
      t.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(creds.authToken, `${PUBLIC_URL}${url}`, Object.entries(params)) },
        payload: new URLSearchParams(params).toString(),
      });
    expectProblem(await signedForm({ AccountSid: creds.sid, From: '+14155550123', Body: 'no sid' }), 400);
    expectProblem(await signedForm({ MessageSid: 'SM1', AccountSid: creds.sid, From: '', Body: 'empty from' }), 400);
    expectProblem(await signedForm({ MessageSid: 'SM1', AccountSid: creds.sid, From: '+1', Body: 'x' }, '/api/webhooks/sms/UPPER'), 400);
    // JSON is not what Twilio sends to this route; it carries no valid signature either.
    expectProblem(await t.inject({ method: 'POST', url: sms, headers: { 'content-type': 'application/json' }, payload: '{}' }), 401);
    expectProblem(await t.inject({ method: 'POST', url: sms, headers: { 'content-type': 'application/xml' }, payload: '<x/>' }), 415);

    const get = (q: string) => t.inject({ method: 'GET', url: `${wa}?${q}` });
    expectProblem(await get(''), 401);
    expectProblem(await get(`hub.mode=subscribe&hub.verify_token=x&hub.challenge=1&extra=1`), 400);
    expectProblem(await get(`hub.mode=subscribe&hub.verify_token=${'x'.repeat(2000)}&hub.challenge=1`), 400);
  });

  it('a customer message that is too long for a ticket reply is still taken, cut to the limit', async () => {
    const wa = '33612345678';
    for (const m of ['hi', 'Zed', 'skip']) await say('default', wa, m);
    await say('default', wa, `Long one\n${'z'.repeat(60_000)}`);
    const conv = (await conversation('default', '+33612345678'))!;
    expect((await getTicket(conv.ticket_id!)).description).toHaveLength(50_000);
  });
});

describe('without provider configuration', () => {
  it('refuses every webhook with 401 and keeps chat replies in the notifications log', async () => {
    const bare = await createTestApp({ PUBLIC_URL });
    try {
      const payload = JSON.stringify(waPayload('16505551234', 'hello'));
      const res = await bare.inject({ method: 'POST', url: '/api/webhooks/whatsapp/default', headers: { 'content-type': 'application/json', 'x-hub-signature-256': whatsappSignature('', payload) }, payload });
      expectProblem(res, 401, 'invalid_signature');
      expectProblem(await bare.inject({ method: 'GET', url: '/api/webhooks/whatsapp/default?hub.mode=subscribe&hub.verify_token=&hub.challenge=1' }), 401);
      const params = { MessageSid: 'SM1', AccountSid: creds.sid, From: '+14155550123', Body: 'hi' };
      expectProblem(
        await bare.inject({ method: 'POST', url: '/api/webhooks/sms/default', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature('', `${PUBLIC_URL}/api/webhooks/sms/default`, Object.entries(params)) }, payload: new URLSearchParams(params).toString() }),
        401,
      );

      // A WhatsApp ticket entered by an agent: the reply is queued on WhatsApp and kept as the log.
      const created = await bare.inject({ method: 'POST', url: '/api/tickets', headers: bearer(bare.adminToken), payload: { subject: 'By phone', channel: 'whatsapp', requester: { name: 'Cy', mobile: '+16505551234', email: 'cy@example.test' } } });
      expect(created.statusCode, created.body).toBe(201);
      const id = (created.json() as { id: string }).id;
      expect((await bare.inject({ method: 'POST', url: `/api/tickets/${id}/replies`, headers: bearer(bare.adminToken), payload: { body: 'We call you back.' } })).statusCode).toBe(201);
      const logged = await until(async () => {
        const r = ((await bare.database.db.execute(sql`select channel, "to", status, meta->>'transport' as transport from notifications where meta->>'ticketId' = ${id}`)) as unknown as { rows: { status: string }[] }).rows;
        return r.every((x) => x.status === 'sent') && r.length ? r : undefined;
      });
      expect(logged).toEqual([{ channel: 'whatsapp', to: '+16505551234', status: 'sent', transport: 'log' }]);
    } finally {
      await bare.close();
    }
  });
});
