import crypto from 'node:crypto';
import { z } from 'zod';
import { headerOf, readAnswer, sameSecret, SEND_TIMEOUT_MS, toE164, type InboundText, type MessagingProvider, type WebhookCall } from './provider.ts';

export interface WhatsAppCloudOptions {
  /** Graph API base, e.g. https://graph.facebook.com. */
  apiUrl: string;
  /** Graph API version, e.g. v21.0. */
  version: string;
  /** A system user's access token (Bearer). */
  token?: string | undefined;
  /** The business phone number's id: messages are sent from it, and inbound ones to others are ignored. */
  phoneNumberId?: string | undefined;
  /** The Meta app secret: webhooks carry `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body>`. */
  appSecret?: string | undefined;
  /** The token the GET verification handshake must present. */
  verifyToken?: string | undefined;
}

/** The longest text body the Cloud API accepts. */
export const WHATSAPP_MAX_TEXT = 4096;

const text = (max: number) => z.string().max(max);
const message = z.looseObject({
  from: text(32).describe('The customer’s WhatsApp id (their number, digits only)'),
  id: z.string().min(1).max(512).describe('The message id (wamid…); a redelivery carries the same one'),
  timestamp: text(32).optional(),
  type: text(64),
  text: z.looseObject({ body: text(65_536) }).optional(),
  button: z.looseObject({ text: text(4096).optional() }).optional(),
  interactive: z
    .looseObject({
      button_reply: z.looseObject({ title: text(4096).optional() }).optional(),
      list_reply: z.looseObject({ title: text(4096).optional() }).optional(),
    })
    .optional(),
});

/** A notification carrying one text message, as the Cloud API documents it. */
export const WHATSAPP_WEBHOOK_EXAMPLE = {
  object: 'whatsapp_business_account',
  entry: [
    {
      id: '102290129340398',
      changes: [
        {
          field: 'messages',
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
            contacts: [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234' }],
            messages: [{ from: '16505551234', id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=', timestamp: '1749416383', type: 'text', text: { body: 'Hello' } }] as Record<string, unknown>[],
          },
        },
      ],
    },
  ],
};

/** The webhook notification of the WhatsApp Business Cloud API (fields we do not read pass through). */
export const whatsappWebhookSchema = z
  .looseObject({
    object: text(64),
    entry: z
      .array(
        z.looseObject({
          id: text(64).optional(),
          changes: z
            .array(
              z.looseObject({
                field: text(64),
                value: z.looseObject({
                  messaging_product: text(32).optional(),
                  metadata: z.looseObject({ phone_number_id: text(64), display_phone_number: text(64).optional() }).optional(),
                  messages: z.array(message).max(1000).optional(),
                  statuses: z.array(z.unknown()).max(1000).optional(),
                }),
              }),
            )
            .max(1000),
        }),
      )
      .max(1000),
  })
  .meta({ examples: [WHATSAPP_WEBHOOK_EXAMPLE] });
export type WhatsAppWebhook = z.infer<typeof whatsappWebhookSchema>;

/** The text of a message we can read: a text, a quick-reply button or an interactive reply. */
function textOf(m: z.infer<typeof message>): string | null {
  if (m.type === 'text') return m.text?.body ?? null;
  if (m.type === 'button') return m.button?.text ?? null;
  if (m.type === 'interactive') return m.interactive?.button_reply?.title ?? m.interactive?.list_reply?.title ?? null;
  return null;
}

/** The signature Meta puts on a webhook: `sha256=` and the hex HMAC-SHA256 of the raw body with the app secret. */
export function whatsappSignature(appSecret: string, rawBody: Buffer | string): string {
  return `sha256=${crypto.createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

/** The WhatsApp Business Cloud API (Graph API) as a messaging provider. */
export function whatsappCloud(opts: WhatsAppCloudOptions): MessagingProvider & { handshake(mode: string, token: string): boolean } {
  const secrets = [opts.token, opts.appSecret, opts.verifyToken];
  const base = opts.apiUrl.replace(/\/+$/, '');
  return {
    provider: 'whatsapp_cloud',
    channel: 'whatsapp',
    maxText: WHATSAPP_MAX_TEXT,
    canSend: Boolean(opts.token && opts.phoneNumberId),

    async send(to, body) {
      if (!opts.token || !opts.phoneNumberId) throw new Error('WhatsApp sending is not configured');
      const res = await fetch(`${base}/${opts.version}/${encodeURIComponent(opts.phoneNumberId)}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${opts.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          messaging_product: 'whatsapp',
          recipient_type: 'individual',
          to: to.replace(/^\+/, ''),
          type: 'text',
          text: { preview_url: false, body: body.slice(0, WHATSAPP_MAX_TEXT) },
        }),
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      const answer = (await readAnswer(res, 'WhatsApp Cloud API', secrets)) as { messages?: { id?: string }[] } | null;
      const id = answer?.messages?.[0]?.id;
      if (!id) throw new Error('WhatsApp Cloud API answered without a message id');
      return { messageId: id };
    },

    verify(call: WebhookCall) {
      if (!opts.appSecret) return false;
      return sameSecret(headerOf(call, 'x-hub-signature-256'), whatsappSignature(opts.appSecret, call.rawBody));
    },

    parse(call: WebhookCall): InboundText[] {
      const body = call.body as WhatsAppWebhook;
      const out: InboundText[] = [];
      if (body.object !== 'whatsapp_business_account') return out;
      for (const entry of body.entry) {
        for (const change of entry.changes) {
          if (change.field !== 'messages') continue;
          // Another number of the same business account is not ours to answer.
          if (opts.phoneNumberId && change.value.metadata?.phone_number_id !== opts.phoneNumberId) continue;
          for (const m of change.value.messages ?? []) {
            const from = toE164(m.from);
            if (from) out.push({ id: m.id, from, text: textOf(m) });
          }
        }
      }
      return out;
    },

    /** The GET verification handshake: `hub.mode=subscribe` with the configured verify token. */
    handshake(mode, token) {
      return Boolean(opts.verifyToken) && mode === 'subscribe' && sameSecret(token, opts.verifyToken!);
    },
  };
}

export type WhatsAppCloud = ReturnType<typeof whatsappCloud>;
