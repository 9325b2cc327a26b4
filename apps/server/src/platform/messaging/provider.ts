import crypto from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** The chat channels a customer can reach the desk on. */
export type ChatChannel = 'whatsapp' | 'sms';

/** One text a customer sent, read out of a provider's webhook. */
export interface InboundText {
  /** The provider's message id: a redelivered webhook carries the same one. */
  id: string;
  /** The sender's number, E.164. */
  from: string;
  /** What they wrote; null for media, locations and other kinds the desk does not read. */
  text: string | null;
}

/** An inbound webhook call as the provider made it. */
export interface WebhookCall {
  /** The full URL the provider called (the public URL, path and query): Twilio signs it. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** The body exactly as received: signatures cover these bytes. */
  rawBody: Buffer;
  /** The body once parsed and validated against the provider's schema. */
  body: unknown;
}

/**
 * A messaging provider behind one chat channel: it sends a text to a number, and it verifies and
 * reads the webhooks it calls us with.
 */
export interface MessagingProvider {
  /** Names the provider in `inbound_messages` and in the notifications log. */
  readonly provider: string;
  readonly channel: ChatChannel;
  /** The longest text one message may carry. */
  readonly maxText: number;
  /** Whether sending is configured; without it, messages stay in the notifications log. */
  readonly canSend: boolean;
  /** Sends a text to an E.164 number; throws (with no credential in the message) so the queue retries. */
  send(to: string, text: string): Promise<{ messageId: string }>;
  /** Whether the call carries a valid signature; false when no secret is configured. */
  verify(call: WebhookCall): boolean;
  /** The customers' texts in a verified call (status updates and other events are left out). */
  parse(call: WebhookCall): InboundText[];
}

/** A number in E.164, or null when it is not a valid phone number (short codes, sender names). */
export function toE164(raw: string): string | null {
  const n = parsePhoneNumberFromString(raw.startsWith('+') ? raw : `+${raw}`);
  return n?.isValid() ? n.format('E.164') : null;
}

/** Constant-time comparison of two strings (a signature or token against the expected one). */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b) && given.length === expected.length;
}

export const headerOf = (call: Pick<WebhookCall, 'headers'>, name: string): string | undefined => {
  const v = call.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

/** Removes configured secrets from a message before it is stored or logged. */
export function redact(text: string, secrets: (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  return out;
}

/**
 * Reads a provider's answer to a send: the JSON body when there is one, else the start of the text.
 * A non-2xx answer becomes an error naming the status and the provider's own message.
 */
export async function readAnswer(res: Response, label: string, secrets: (string | undefined)[]): Promise<unknown> {
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    const detail = providerMessage(body) ?? text.slice(0, 200);
    throw new Error(redact(`${label} answered ${res.status}: ${detail}`, secrets));
  }
  return body;
}

function providerMessage(body: unknown): string | null {
  if (body === null || typeof body !== 'object') return null;
  const b = body as { message?: unknown; code?: unknown; error?: { message?: unknown; code?: unknown } };
  // Graph API: {error: {message, code}}; Twilio: {code, message}.
  const err = b.error ?? b;
  if (typeof err.message !== 'string') return null;
  return err.code !== undefined ? `${err.message} (code ${String(err.code)})` : err.message;
}

/** Provider calls give up after this long, so a hung provider never stalls the queue. */
export const SEND_TIMEOUT_MS = 15_000;
