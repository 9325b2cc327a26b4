import crypto from 'node:crypto';
import { z } from 'zod';
import { headerOf, readAnswer, sameSecret, SEND_TIMEOUT_MS, toE164, type InboundText, type MessagingProvider, type WebhookCall } from './provider.ts';

export interface TwilioOptions {
  /** REST API base, e.g. https://api.twilio.com. */
  apiUrl: string;
  /** The account SID (AC…): the user of basic auth, and the account inbound webhooks must name. */
  accountSid?: string | undefined;
  /** The auth token: the password of basic auth and the key of webhook signatures. */
  authToken?: string | undefined;
  /** The sender: an E.164 number, or a Messaging Service SID (MG…). */
  from?: string | undefined;
}

/** The longest body the Messages resource accepts. */
export const SMS_MAX_TEXT = 1600;

/** An incoming-message webhook (form-encoded); Twilio sends more fields, which pass through. */
export const twilioWebhookSchema = z
  .looseObject({
    MessageSid: z.string().min(1).max(64),
    AccountSid: z.string().min(1).max(64),
    From: z.string().min(1).max(64),
    To: z.string().max(64).optional(),
    Body: z.string().max(65_536).optional(),
    NumMedia: z.string().max(8).optional(),
  })
  .meta({
    examples: [{ MessageSid: 'SM1f0e8ae6ade43cb3c0ce4525424e404f', AccountSid: 'AC00000000000000000000000000000000', From: '+14155550100', To: '+14155550199', Body: 'Hello', NumMedia: '0' }],
  });
export type TwilioWebhook = z.infer<typeof twilioWebhookSchema>;

/**
 * The signature Twilio puts on a webhook (X-Twilio-Signature): base64 HMAC-SHA1, keyed with the
 * auth token, of the full URL followed by every POST parameter sorted by name, as name + value
 * (a repeated parameter contributes each of its values, sorted).
 */
export function twilioSignature(authToken: string, url: string, params: Iterable<[string, string]>): string {
  const byName = new Map<string, string[]>();
  for (const [k, v] of params) byName.set(k, [...(byName.get(k) ?? []), v]);
  let data = url;
  for (const name of [...byName.keys()].sort()) for (const v of byName.get(name)!.sort()) data += name + v;
  return crypto.createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/** Twilio Programmable Messaging (SMS) as a messaging provider. */
export function twilioSms(opts: TwilioOptions): MessagingProvider {
  const secrets = [opts.authToken];
  const base = opts.apiUrl.replace(/\/+$/, '');
  return {
    provider: 'twilio',
    channel: 'sms',
    maxText: SMS_MAX_TEXT,
    canSend: Boolean(opts.accountSid && opts.authToken && opts.from),

    async send(to, body) {
      if (!opts.accountSid || !opts.authToken || !opts.from) throw new Error('Twilio sending is not configured');
      const form = new URLSearchParams({ To: to, Body: body.slice(0, SMS_MAX_TEXT) });
      form.set(/^MG[0-9a-f]{32}$/i.test(opts.from) ? 'MessagingServiceSid' : 'From', opts.from);
      const res = await fetch(`${base}/2010-04-01/Accounts/${encodeURIComponent(opts.accountSid)}/Messages.json`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${opts.accountSid}:${opts.authToken}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: form.toString(),
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      const answer = (await readAnswer(res, 'Twilio', secrets)) as { sid?: string } | null;
      if (!answer?.sid) throw new Error('Twilio answered without a message sid');
      return { messageId: answer.sid };
    },

    verify(call: WebhookCall) {
      if (!opts.authToken) return false;
      const params = new URLSearchParams(call.rawBody.toString('utf8'));
      return sameSecret(headerOf(call, 'x-twilio-signature'), twilioSignature(opts.authToken, call.url, params));
    },

    parse(call: WebhookCall): InboundText[] {
      const body = call.body as TwilioWebhook;
      // A webhook of another account is not ours, whatever it says.
      if (opts.accountSid && body.AccountSid !== opts.accountSid) return [];
      const from = toE164(body.From);
      if (!from) return [];
      const text = body.Body?.trim() ? body.Body : null;
      return [{ id: body.MessageSid, from, text }];
    },
  };
}
