import { describe, expect, it } from 'vitest';
import { agentReplyText, commandOf, openedReply, step, subjectOf, type ConversationData, type ConversationState, type FollowedTicket, type Step } from './conversation.ts';

const open: FollowedTicket = { number: 7, subject: 'Printer on fire', status: 'open' };
const ticket = (status: FollowedTicket['status']): FollowedTicket => ({ ...open, status });
const ada: ConversationData = { name: 'Ada', email: 'ada@example.test' };

type Case = [
  what: string,
  from: { state: ConversationState; data: ConversationData; text: string | null; ticket?: FollowedTicket | null },
  to: { state: ConversationState; data: ConversationData; effect: Step['effect']; reply: RegExp | null },
];

const none = { kind: 'none' } as const;

// Each row: a conversation at some point, one incoming message, and everything that must follow.
const cases: Case[] = [
  // new → collecting
  ['a first message greets and asks the name', { state: 'new', data: {}, text: 'Hi, my printer is broken' }, { state: 'collecting', data: { ask: 'name' }, effect: none, reply: /^Hello!.*What is your name\?$/ }],
  ['a first non-text message starts too', { state: 'new', data: {}, text: null }, { state: 'collecting', data: { ask: 'name' }, effect: none, reply: /What is your name/ }],
  ['a returning customer is not asked their name again', { state: 'new', data: ada, text: 'hello' }, { state: 'collecting', data: { ...ada, ask: 'description' }, effect: none, reply: /describe your request/ }],

  // collecting: name
  ['the name is kept, whitespace tidied, and the email asked', { state: 'collecting', data: { ask: 'name' }, text: '  Ada   Lovelace ' }, { state: 'collecting', data: { name: 'Ada Lovelace', ask: 'email' }, effect: none, reply: /^Thank you, Ada Lovelace\. What is your email address\? Reply SKIP/ }],
  ['a name longer than 200 characters is asked again', { state: 'collecting', data: { ask: 'name' }, text: 'x'.repeat(201) }, { state: 'collecting', data: { ask: 'name' }, effect: none, reply: /just your name \(200 characters at most\)/ }],
  ['a name of exactly 200 characters is fine', { state: 'collecting', data: { ask: 'name' }, text: 'y'.repeat(200) }, { state: 'collecting', data: { name: 'y'.repeat(200), ask: 'email' }, effect: none, reply: /email address/ }],
  ['a picture instead of a name repeats the question', { state: 'collecting', data: { ask: 'name' }, text: null }, { state: 'collecting', data: { ask: 'name' }, effect: none, reply: /only read text.*What is your name/ }],
  ['a blank answer repeats the question', { state: 'collecting', data: { ask: 'name' }, text: '   ' }, { state: 'collecting', data: { ask: 'name' }, effect: none, reply: /What is your name/ }],

  // collecting: email
  ['a valid email is kept in lower case and the description asked', { state: 'collecting', data: { name: 'Ada', ask: 'email' }, text: ' Ada@Example.TEST ' }, { state: 'collecting', data: { name: 'Ada', email: 'ada@example.test', ask: 'description' }, effect: none, reply: /^Please describe your request/ }],
  ['SKIP goes on without an email', { state: 'collecting', data: { name: 'Ada', ask: 'email' }, text: 'Skip.' }, { state: 'collecting', data: { name: 'Ada', email: null, ask: 'description' }, effect: none, reply: /describe your request/ }],
  ['an invalid email is refused and asked again', { state: 'collecting', data: { name: 'Ada', ask: 'email' }, text: 'ada at example' }, { state: 'collecting', data: { name: 'Ada', ask: 'email' }, effect: none, reply: /“ada at example” does not look like an email address\. What is your email/ }],

  // collecting: description → ticket_created
  [
    'the description opens a ticket titled by its first line',
    { state: 'collecting', data: { ...ada, ask: 'description' }, text: '\n  Printer on fire  \nFloor 3, since this morning.' },
    { state: 'ticket_created', data: ada, reply: null, effect: { kind: 'create_ticket', name: 'Ada', email: 'ada@example.test', subject: 'Printer on fire', description: 'Printer on fire  \nFloor 3, since this morning.' } },
  ],
  [
    'without an email the ticket has none',
    { state: 'collecting', data: { name: 'Bo', email: null, ask: 'description' }, text: 'VPN drops' },
    { state: 'ticket_created', data: { name: 'Bo', email: null }, reply: null, effect: { kind: 'create_ticket', name: 'Bo', email: null, subject: 'VPN drops', description: 'VPN drops' } },
  ],

  // collecting: cancel
  ['CANCEL with nothing followed goes back to new', { state: 'collecting', data: { name: 'Ada', ask: 'email' }, text: 'cancel' }, { state: 'new', data: { name: 'Ada' }, effect: none, reply: /^Cancelled\. Write to us/ }],
  ['CANCEL while a ticket is open goes back to following it', { state: 'collecting', data: { ...ada, ask: 'description' }, text: 'CANCEL', ticket: open }, { state: 'following', data: ada, effect: none, reply: /still following ticket #7/ }],

  // ticket_created / following
  ['a message after creation becomes a customer reply', { state: 'ticket_created', data: ada, text: 'It is smoking now', ticket: open }, { state: 'following', data: ada, effect: { kind: 'add_reply', body: 'It is smoking now' }, reply: /added your message to ticket #7\.$/ }],
  ['a message on a resolved ticket reopens it', { state: 'following', data: ada, text: 'Still broken', ticket: ticket('resolved') }, { state: 'following', data: ada, effect: { kind: 'add_reply', body: 'Still broken' }, reply: /ticket #7\. The ticket is open again\.$/ }],
  ['a message while waiting on the customer is a reply too', { state: 'following', data: ada, text: 'Here is the serial: 42', ticket: ticket('pending_customer') }, { state: 'following', data: ada, effect: { kind: 'add_reply', body: 'Here is the serial: 42' }, reply: /added your message/ }],
  ['STATUS answers the ticket’s status', { state: 'following', data: ada, text: 'status', ticket: ticket('pending_customer') }, { state: 'following', data: ada, effect: none, reply: /^Ticket #7 “Printer on fire” is waiting for your answer\.$/ }],
  ['STATUS right after creation answers too', { state: 'ticket_created', data: ada, text: ' Status? ', ticket: ticket('new') }, { state: 'following', data: ada, effect: none, reply: /is received/ }],
  ['STATUS of a closed ticket still answers', { state: 'following', data: ada, text: 'STATUS', ticket: ticket('closed') }, { state: 'following', data: ada, effect: none, reply: /is closed\.$/ }],
  ['NEW starts a new request, keeping name and email', { state: 'following', data: ada, text: 'new', ticket: open }, { state: 'collecting', data: { ...ada, ask: 'description' }, effect: none, reply: /^Let’s open a new request\. Please describe/ }],
  ['a message on a closed ticket starts a new request', { state: 'following', data: ada, text: 'hello again', ticket: ticket('closed') }, { state: 'collecting', data: { ...ada, ask: 'description' }, effect: none, reply: /^Ticket #7 is closed\. Let’s open a new one\. Please describe/ }],
  ['a deleted ticket starts a new request', { state: 'following', data: { name: 'Bo', email: null }, text: 'hi', ticket: null }, { state: 'collecting', data: { name: 'Bo', email: null, ask: 'description' }, effect: none, reply: /no longer open/ }],
  ['a picture while following is not a reply', { state: 'following', data: ada, text: null, ticket: open }, { state: 'following', data: ada, effect: none, reply: /only read text/ }],
];

describe('the conversation state machine', () => {
  it.each(cases)('%s', (_what, from, to) => {
    const out = step(from.state, from.data, from.text, from.ticket ?? null);
    expect(out.state).toBe(to.state);
    expect(out.data).toEqual(to.data);
    expect(out.effect).toEqual(to.effect);
    if (to.reply === null) expect(out.reply).toBeNull();
    else expect(out.reply).toMatch(to.reply);
  });

  it('walks a whole conversation: new → collecting → ticket_created → following', () => {
    const texts = ['hi', 'Ada', 'skip', 'Badge broken\nDoor 4 will not open', 'any news?', 'status'];
    const states: ConversationState[] = [];
    let state: ConversationState = 'new';
    let data: ConversationData = {};
    const effects: string[] = [];
    for (const text of texts) {
      const out = step(state, data, text, state === 'new' || state === 'collecting' ? null : open);
      ({ state, data } = out);
      states.push(state);
      effects.push(out.effect.kind);
    }
    expect(states).toEqual(['collecting', 'collecting', 'collecting', 'ticket_created', 'following', 'following']);
    expect(effects).toEqual(['none', 'none', 'none', 'create_ticket', 'add_reply', 'none']);
  });
});

describe('helpers', () => {
  it.each([
    ['NEW', 'new'],
    [' status. ', 'status'],
    ['Skip!', 'skip'],
    ['cancel', 'cancel'],
    ['news', null],
    ['new printer please', null],
    [null, null],
  ])('commandOf(%j) = %j', (text, cmd) => expect(commandOf(text)).toBe(cmd));

  it.each([
    ['One line', 'One line'],
    ['\n\n  Second is first  \nthen more', 'Second is first'],
    ['x'.repeat(120), 'x'.repeat(120)],
    ['x'.repeat(121), `${'x'.repeat(119)}…`],
    ['😀'.repeat(130), `${'😀'.repeat(119)}…`],
  ])('subjectOf(%j)', (text, subject) => expect(subjectOf(text)).toBe(subject));

  it('opened reply names the ticket and the link', () => {
    expect(openedReply(12, 'https://desk/x')).toMatch(/ticket #12.*STATUS.*NEW.*https:\/\/desk\/x$/);
  });

  it('agent replies fit the channel, cutting long ones with a link to the full text', () => {
    expect(agentReplyText(3, 'Try door 5.', 'L', 1600)).toBe('#3: Try door 5.\n\nReply here to answer.');
    const long = agentReplyText(3, 'a'.repeat(5000), 'https://desk/t/1#t=abc', 1600);
    expect([...long].length).toBe(1600);
    expect(long).toMatch(/^#3: a+…\n\nRead it in full: https:\/\/desk\/t\/1#t=abc$/);
    const emoji = agentReplyText(3, '🙂'.repeat(5000), 'L', 4096);
    expect([...emoji].length).toBeLessThanOrEqual(4096);
  });
});
