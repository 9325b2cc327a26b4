/**
 * The chat conversation with a customer on WhatsApp or SMS, as a pure state machine:
 * new → collecting (name, email, description) → ticket_created → following the ticket.
 * `step` takes the state, what was collected so far, the customer's text and the ticket the
 * conversation follows, and answers with the next state, the reply to send and the effect the
 * service must apply (open a ticket, add a customer reply, or nothing).
 */
import { z } from 'zod';
import type { CONVERSATION_STATES, TicketStatus } from '../servicedesk.schema.ts';
import { statusAfterCustomerReply } from '../tickets/tickets.transitions.ts';

export type ConversationState = (typeof CONVERSATION_STATES)[number];
export type Question = 'name' | 'email' | 'description';

/** What the conversation has collected (kept in `whatsapp_conversations.data`). */
export interface ConversationData {
  name?: string;
  /** null: the customer chose to go on without one. */
  email?: string | null;
  /** The question the last reply asked. */
  ask?: Question;
}

/** The ticket the conversation follows, as the service found it (merges already followed). */
export interface FollowedTicket {
  number: number;
  subject: string;
  status: TicketStatus;
}

export type Effect =
  | { kind: 'none' }
  | { kind: 'create_ticket'; name: string; email: string | null; subject: string; description: string }
  | { kind: 'add_reply'; body: string };

export interface Step {
  state: ConversationState;
  data: ConversationData;
  /** The reply to send; null after `create_ticket`, whose reply names the new ticket (`openedReply`). */
  reply: string | null;
  effect: Effect;
}

export const NAME_MAX = 200;
export const SUBJECT_MAX = 120;
export const DESCRIPTION_MAX = 50_000;

const QUESTIONS: Record<Question, string> = {
  name: 'What is your name?',
  email: 'What is your email address? Reply SKIP to go on without one.',
  description: 'Please describe your request in one message. Its first line becomes the title.',
};
const GREETING = 'Hello! This is the service desk. Let’s open a request for you.';
const TEXT_ONLY = 'We can only read text messages. Please write to us in text.';

const STATUS_WORDS: Record<TicketStatus, string> = {
  new: 'received; an agent will pick it up soon',
  open: 'open; an agent is working on it',
  pending_customer: 'waiting for your answer',
  on_hold: 'on hold',
  resolved: 'resolved; reply to reopen it',
  closed: 'closed',
};

const email = z.email().max(254);
const none: Effect = { kind: 'none' };

/** A one-word command (`NEW`, `status.`, ` Skip `), or null for ordinary text. */
export function commandOf(text: string | null): string | null {
  if (text === null || text.length > 20) return null;
  const word = text.trim().toLowerCase().replace(/[^a-z]/g, '');
  return ['new', 'status', 'skip', 'cancel'].includes(word) ? word : null;
}

/** The ticket's title: the first non-empty line, shortened to SUBJECT_MAX characters. */
export function subjectOf(description: string): string {
  const first = description.split(/\r?\n/).map((l) => l.trim()).find(Boolean) ?? '';
  const chars = [...first];
  return chars.length <= SUBJECT_MAX ? first : `${chars.slice(0, SUBJECT_MAX - 1).join('')}…`;
}

const nextQuestion = (d: ConversationData): Question => (!d.name ? 'name' : d.email === undefined ? 'email' : 'description');

/** The collected data without the pending question. */
const settled = ({ ask: _ask, ...d }: ConversationData): ConversationData => d;

const asking = (data: ConversationData, reply: string): Step => {
  const ask = nextQuestion(data);
  return { state: 'collecting', data: { ...settled(data), ask }, reply: `${reply}${reply ? ' ' : ''}${QUESTIONS[ask]}`, effect: none };
};

export const statusLine = (t: FollowedTicket) => `Ticket #${t.number} “${t.subject}” is ${STATUS_WORDS[t.status]}.`;

/** The reply once the ticket is open: its number, the commands, and the requester link. */
export const openedReply = (number: number, link: string) =>
  `Thank you. We opened ticket #${number} and will answer you here. Send STATUS to see where it stands, or NEW to open another request. You can also follow it online: ${link}`;

function collect(data: ConversationData, text: string | null, ticket: FollowedTicket | null): Step {
  const cmd = commandOf(text);
  if (cmd === 'cancel') {
    if (ticket && ticket.status !== 'closed') return { state: 'following', data: settled(data), reply: `Cancelled. You are still following ticket #${ticket.number}.`, effect: none };
    return { state: 'new', data: settled(data), reply: 'Cancelled. Write to us whenever you need help.', effect: none };
  }
  const ask = data.ask ?? nextQuestion(data);
  if (text === null || !text.trim()) return { state: 'collecting', data: { ...data, ask }, reply: `${TEXT_ONLY} ${QUESTIONS[ask]}`, effect: none };
  const answer = text.trim();
  switch (ask) {
    case 'name': {
      const name = answer.replace(/\s+/g, ' ');
      if ([...name].length > NAME_MAX) return { state: 'collecting', data: { ...data, ask }, reply: `Please send just your name (${NAME_MAX} characters at most).`, effect: none };
      return asking({ ...data, name }, `Thank you, ${name}.`);
    }
    case 'email': {
      if (cmd === 'skip') return asking({ ...data, email: null }, '');
      const parsed = email.safeParse(answer);
      if (!parsed.success) return { state: 'collecting', data: { ...data, ask }, reply: `“${answer.slice(0, 60)}” does not look like an email address. ${QUESTIONS.email}`, effect: none };
      return asking({ ...data, email: parsed.data.toLowerCase() }, '');
    }
    case 'description': {
      const description = answer.slice(0, DESCRIPTION_MAX);
      const d = settled(data);
      return {
        state: 'ticket_created',
        data: d,
        reply: null,
        effect: { kind: 'create_ticket', name: d.name ?? 'Chat customer', email: d.email ?? null, subject: subjectOf(description), description },
      };
    }
  }
}

function follow(data: ConversationData, text: string | null, ticket: FollowedTicket | null): Step {
  const cmd = commandOf(text);
  if (cmd === 'status' && ticket) return { state: 'following', data, reply: statusLine(ticket), effect: none };
  if (!ticket || ticket.status === 'closed') {
    const why = ticket ? `Ticket #${ticket.number} is closed.` : 'Your previous request is no longer open.';
    return asking(data, `${why} Let’s open a new one.`);
  }
  if (cmd === 'new') return asking(data, 'Let’s open a new request.');
  if (text === null || !text.trim()) return { state: 'following', data, reply: TEXT_ONLY, effect: none };
  const reopens = ticket.status === 'resolved' && statusAfterCustomerReply(ticket.status) !== ticket.status;
  return {
    state: 'following',
    data,
    reply: `Thank you. We added your message to ticket #${ticket.number}.${reopens ? ' The ticket is open again.' : ''}`,
    effect: { kind: 'add_reply', body: text.trim().slice(0, DESCRIPTION_MAX) },
  };
}

/** One message from the customer: where the conversation goes, what to answer, what to do. */
export function step(state: ConversationState, data: ConversationData, text: string | null, ticket: FollowedTicket | null): Step {
  switch (state) {
    case 'collecting':
      return collect(data, text, ticket);
    case 'ticket_created':
    case 'following':
      return follow(data, text, ticket);
    case 'new':
    default:
      return asking(data, GREETING);
  }
}

/**
 * An agent's public reply as a chat message: the ticket number, the reply, and a way to answer.
 * Past the channel's limit the reply is cut, and the requester link leads to the full text.
 */
export function agentReplyText(number: number, body: string, link: string, max: number): string {
  const head = `#${number}: `;
  const tail = '\n\nReply here to answer.';
  const whole = `${head}${body}${tail}`;
  if ([...whole].length <= max) return whole;
  const more = `…\n\nRead it in full: ${link}`;
  const room = Math.max(0, max - [...head].length - [...more].length);
  return `${head}${[...body].slice(0, room).join('')}${more}`;
}
