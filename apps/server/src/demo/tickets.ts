/**
 * The service desk's week: each story is a ticket as it came in (web form, email, WhatsApp, SMS or
 * an integration) and what happened to it, minute by minute after it was opened. The loader plays
 * them all in time order on the demo's clock, so replies, status changes, SLA warnings, breaches
 * and escalations happen at their own instants. Together they leave a ticket in every status, on
 * every channel, and the breaches a service desk has in a real week.
 */
import type { CannedKey, PersonKey, TeamKey } from './organization.ts';
import type { DemoTime } from './when.ts';

type Status = 'open' | 'pending_customer' | 'on_hold' | 'resolved' | 'closed';
type Priority = 'low' | 'medium' | 'high' | 'urgent';

export type StoryStep =
  /** A manager or agent routes the ticket: team, assignee, priority, category, tags. */
  | { triage: { team?: TeamKey; assignee?: PersonKey; priority?: Priority; category?: string; tags?: string[] }; by: PersonKey }
  /** A public reply (text, or one of the canned responses rendered for this ticket), optionally moving the status. */
  | { reply: string | { canned: CannedKey }; by: PersonKey; status?: Status }
  | { note: string; by: PersonKey }
  | { status: Status; by: PersonKey }
  /** The customer writes back on the channel the ticket came from (web link, email thread, chat). */
  | { customer: string }
  /** The customer rates the resolved ticket through their link (web tickets). */
  | { rate: number; comment?: string }
  /** Merged into another story's ticket. */
  | { mergeInto: string; by: PersonKey };

export interface Story {
  key: string;
  /** When it arrived. A chat ticket opens with the customer's fourth message (hello, name, email, request). */
  opened: (t: DemoTime) => number;
  via: 'web' | 'email' | 'whatsapp' | 'sms' | 'api' | 'phone';
  /** A phone call: the agent who took it and opened the ticket for the caller. */
  takenBy?: PersonKey;
  requester: { name: string; email?: string; mobile?: string };
  /** The title; a chat ticket takes the first line of its description, as the chat dialogue does. */
  subject: string;
  description: string;
  category?: string;
  /** Integrations (api) set these when they open the ticket. */
  priority?: Priority;
  team?: TeamKey;
  /** Minutes after the ticket opened, and what happened. */
  steps: [number, StoryStep][];
}

const H = 60;
const D = 24 * H;

export const STORIES: Story[] = [
  // — Today: the burst main on Gloucester Road —
  {
    key: 'no-water',
    opened: (t) => t.ago(150),
    via: 'web',
    requester: { name: 'Ruth Matthews', email: 'ruth.matthews@example.com' },
    subject: 'No water since this morning — Gloucester Road',
    description: 'We have had no water at all since about 7am. I have two small children at home. Is there a problem in the area?',
    category: 'outage',
    steps: [
      [6, { triage: { team: 'field', assignee: 'marcus', priority: 'urgent', tags: ['burst-main'] }, by: 'marcus' }],
      [14, { reply: { canned: 'outage' }, by: 'marcus' }],
      [40, { customer: 'Thank you. Is there anywhere we can get bottled water?' }],
      [55, { reply: 'Bottled water is available at the Bishopston Library car park until 8pm. We expect to restore supply this evening.', by: 'marcus' }],
    ],
  },
  {
    key: 'low-pressure',
    opened: (t) => t.ago(130),
    via: 'email',
    requester: { name: 'Imran Siddiqui', email: 'imran.siddiqui@example.net' },
    subject: 'Very low pressure on Berkeley Road',
    description: 'Hello,\n\nThe pressure at our house on Berkeley Road dropped to a trickle this morning. The neighbours have the same.\n\nImran',
    steps: [],
  },
  {
    key: 'brown-water',
    opened: (t) => t.ago(95),
    via: 'whatsapp',
    requester: { name: 'Kerry Dawson', mobile: '+447700900123' },
    subject: 'Brown water from the kitchen tap after the roadworks',
    description: 'Brown water from the kitchen tap after the roadworks\nWe are on Gloucester Road near the Prom. The water came back brown.',
    steps: [
      [18, { triage: { team: 'field', priority: 'high' }, by: 'marcus' }],
      [22, { mergeInto: 'no-water', by: 'marcus' }],
    ],
  },
  {
    key: 'scada-pressure',
    opened: (t) => t.ago(20),
    via: 'api',
    requester: { name: 'SCADA bridge', email: 'scada@harbourside.example.com' },
    subject: 'Alarm: PL-9 Gloucester Road pressure below 1.5 bar',
    description: 'Raised by the SCADA bridge: rule "Low network pressure" on pressure_bar, device PL-9 Gloucester Road pressure logger.',
    category: 'outage',
    priority: 'high',
    team: 'field',
    steps: [],
  },
  {
    key: 'efficiency-pack',
    opened: (t) => t.ago(40),
    via: 'web',
    requester: { name: 'Lucy Harding', email: 'lucy.harding@example.org' },
    subject: 'Free water saving pack',
    description: 'I saw on your website that you send free water saving packs. Could I have one for a four-person household please?',
    category: 'general',
    steps: [],
  },
  // — The last five working days —
  {
    key: 'pavement-leak',
    opened: (t) => t.workday(3, '09:10'),
    via: 'email',
    requester: { name: 'Martin Cole', email: 'martin.cole@example.com' },
    subject: 'Water bubbling up through the pavement outside 14 Cotham Hill',
    description: 'There is clean water coming up through the paving slabs outside number 14. It has been like this since last night and is getting worse.',
    steps: [
      [20, { triage: { team: 'field', assignee: 'jack', priority: 'high', category: 'leak' }, by: 'marcus' }],
      [D + 2 * H, { note: 'Missed this one yesterday, the van was at Southmead all day. Booking a visit.', by: 'jack' }],
      [D + 2 * H + 20, { reply: { canned: 'visit' }, by: 'jack' }],
      [D + 3 * H, { customer: 'Thanks, someone will be in all day.' }],
    ],
  },
  {
    key: 'filton-power',
    opened: (t) => t.workday(2, '17:20'),
    via: 'sms',
    requester: { name: 'Sandeep Gill', mobile: '+447700900456', email: 'sandeep.gill@example.com' },
    subject: 'Power and street lights out on Filton Avenue',
    description: 'Power and street lights out on Filton Avenue\nSince 5pm, the whole row of houses.',
    steps: [
      [10, { triage: { team: 'field', assignee: 'callum', priority: 'urgent', category: 'outage' }, by: 'marcus' }],
      [48, { reply: 'Thank you Sandeep. The Filton substation tripped on high temperature; engineers are on their way.', by: 'callum' }],
      [2 * H + 30, { reply: 'Power is back on at Filton Avenue. Sorry for the disruption.', by: 'callum', status: 'resolved' }],
      [2 * H + 45, { customer: 'All back, thanks.' }],
      [3 * H, { status: 'closed', by: 'callum' }],
    ],
  },
  {
    key: 'double-debit',
    opened: (t) => t.workday(1, '10:05'),
    via: 'email',
    requester: { name: 'Helen Price', email: 'helen.price@example.net' },
    subject: 'Direct debit taken twice this month',
    description: 'My bank statement shows two payments of £38.20 to Harbourside on the 1st. Please refund one of them.',
    steps: [
      [25, { triage: { team: 'billing', assignee: 'grace', priority: 'high', category: 'billing' }, by: 'hannah' }],
      [70, { reply: 'Hello Helen, I can see the duplicate collection. I have asked our bank to return £38.20 to you; it takes three to five working days.', by: 'grace' }],
      [3 * H, { customer: 'Thank you. Will this happen again next month?' }],
    ],
  },
  {
    key: 'sewer-smell',
    opened: (t) => t.workday(2, '11:30'),
    via: 'web',
    requester: { name: 'Patrick Nolan', email: 'patrick.nolan@example.org' },
    subject: 'Sewer smell on Southmead Road',
    description: 'There is a strong sewage smell near the bus stop on Southmead Road, worse in the mornings.',
    category: 'wastewater',
    steps: [
      [40, { triage: { team: 'field', assignee: 'jack', priority: 'medium' }, by: 'marcus' }],
      [2 * H, { reply: 'Thank you Patrick. We are booking a camera survey of the sewer on Southmead Road and will update you.', by: 'jack' }],
      [D + 3 * H, { note: 'CCTV survey failed: the camera tractor broke down. Rebooking with the jetting tanker.', by: 'jack' }],
    ],
  },
  {
    key: 'change-of-tenancy',
    opened: (t) => t.workday(1, '14:15'),
    via: 'web',
    requester: { name: 'Sophie Turner', email: 'sophie.turner@example.com' },
    subject: 'Moving house — close my account',
    description: 'I am moving out of 3 Chessel Street on Friday. Please close my account and send the final bill to my new address.',
    category: 'account',
    steps: [
      [30, { triage: { team: 'support', assignee: 'priya' }, by: 'hannah' }],
      [50, { reply: 'Hello Sophie, thank you. Could you send us your meter reading on the day you leave and your new address?', by: 'priya' }],
      [4 * H, { customer: 'New address is 18 Raleigh Road, BS3. I will send the reading on Friday.' }],
    ],
  },
  {
    key: 'meter-reading',
    opened: (t) => t.workday(1, '16:40'),
    via: 'sms',
    requester: { name: 'Geoff Barnes', mobile: '+447700900789', email: 'geoff.barnes@example.org' },
    subject: 'Can someone read my meter? Key safe at the side gate',
    description: 'Can someone read my meter? Key safe at the side gate\nI am in hospital until next week.',
    category: 'meter',
    steps: [
      [50, { triage: { team: 'support', assignee: 'tom' }, by: 'hannah' }],
      [60, { reply: 'Hello Geoff, we can. Please text us the key safe code and a day that suits.', by: 'tom', status: 'pending_customer' }],
    ],
  },
  {
    key: 'high-bill',
    opened: (t) => t.workday(2, '09:45'),
    via: 'web',
    requester: { name: 'Amira Haddad', email: 'amira.haddad@example.com' },
    subject: 'Why is my bill so high this quarter?',
    description: 'My bill went from £96 to £231 this quarter with no change at home. Could there be a leak?',
    category: 'billing',
    steps: [
      [35, { triage: { team: 'billing', assignee: 'grace', priority: 'medium' }, by: 'hannah' }],
      [95, { reply: { canned: 'meterPhoto' }, by: 'grace', status: 'pending_customer' }],
    ],
  },
  {
    key: 'payment-plan',
    opened: (t) => t.workday(3, '13:20'),
    via: 'email',
    requester: { name: 'Dean Walsh', email: 'dean.walsh@example.net' },
    subject: 'Can I pay my arrears in instalments?',
    description: 'I lost my job last month and cannot pay the £412 balance at once. Can I pay it off monthly?',
    category: 'billing',
    steps: [
      [45, { triage: { team: 'billing', assignee: 'tom', priority: 'medium' }, by: 'hannah' }],
      [2 * H, { reply: { canned: 'paymentPlan' }, by: 'tom', status: 'pending_customer' }],
      [D + H, { customer: 'Twelve months please, on the 15th.' }],
      [D + 2 * H, { reply: 'Done: twelve payments of £34.34 on the 15th, starting next month. We have also checked whether you qualify for our social tariff.', by: 'tom', status: 'pending_customer' }],
    ],
  },
  {
    key: 'extension-connection',
    opened: (t) => t.workday(4, '11:00'),
    via: 'web',
    requester: { name: 'Gareth Lewis', email: 'gareth.lewis@example.org' },
    subject: 'New water connection for a garden annexe',
    description: 'We are building a garden annexe and need a separate supply. What do you need from us?',
    category: 'connections',
    steps: [
      [H, { triage: { team: 'support', assignee: 'tom', priority: 'low' }, by: 'hannah' }],
      [2 * H, { reply: 'Hello Gareth, we need the site plan and your planning permission reference. We will keep this request on hold until the permission is granted.', by: 'tom', status: 'on_hold' }],
    ],
  },
  {
    key: 'compensation',
    opened: (t) => t.workday(2, '15:10'),
    via: 'email',
    requester: { name: 'Joan Whitaker', email: 'joan.whitaker@example.com' },
    subject: 'Compensation for the 14-hour interruption in Keynsham',
    description: 'Our supply was off for 14 hours during the planned work. I understand we are entitled to a payment under the Guaranteed Standards Scheme.',
    category: 'billing',
    steps: [
      [30, { triage: { team: 'billing', assignee: 'grace' }, by: 'hannah' }],
      [80, { reply: 'Hello Joan, you are right. I have passed your claim to our finance team; we will confirm the payment within ten working days.', by: 'grace', status: 'on_hold' }],
      [90, { note: 'Waiting for finance to confirm the GSS payment batch.', by: 'grace' }],
    ],
  },
  {
    key: 'hydrant',
    opened: (t) => t.workday(5, '08:20'),
    via: 'web',
    requester: { name: 'Nadia Rossi', email: 'nadia.rossi@example.net' },
    subject: 'Hydrant leaking on Lawrence Hill',
    description: 'The fire hydrant by the Lawrence Hill roundabout has been leaking for days.',
    category: 'leak',
    steps: [
      [20, { triage: { team: 'field', assignee: 'aisha', priority: 'medium' }, by: 'marcus' }],
      [40, { reply: 'Thank you Nadia, a technician is going this morning.', by: 'aisha' }],
      [4 * H, { reply: { canned: 'closing' }, by: 'aisha', status: 'resolved' }],
      [6 * H, { rate: 4, comment: 'Fixed the same day, thank you.' }],
    ],
  },
  {
    key: 'meter-display',
    opened: (t) => t.workday(3, '10:40'),
    via: 'whatsapp',
    requester: { name: 'Owen Price', mobile: '+447700900321', email: 'owen.price@example.com' },
    subject: 'The display on my new smart meter is blank',
    description: 'The display on my new smart meter is blank\nIt was fitted last week in Bedminster.',
    category: 'meter',
    steps: [
      [30, { triage: { team: 'support', assignee: 'priya' }, by: 'hannah' }],
      [45, { reply: 'Hello Owen, the display sleeps to save the battery: press the blue button once. Does it come on?', by: 'priya' }],
      [70, { customer: 'Yes it works now, thanks!' }],
      [80, { reply: 'Great, I will close this one. Have a good day!', by: 'priya', status: 'resolved' }],
    ],
  },
  {
    key: 'payment-date',
    opened: (t) => t.workday(2, '12:10'),
    via: 'web',
    requester: { name: 'Claire Robinson', email: 'claire.robinson@example.org' },
    subject: 'Change my payment date to the 28th',
    description: 'I get paid on the 27th. Could my direct debit come out on the 28th instead of the 1st?',
    category: 'billing',
    steps: [
      [40, { triage: { team: 'billing', assignee: 'grace', priority: 'low' }, by: 'hannah' }],
      [2 * H, { reply: 'Hello Claire, done: from next month your payment will be taken on the 28th.', by: 'grace', status: 'resolved' }],
      [3 * H, { rate: 5, comment: 'Quick and easy.' }],
    ],
  },
  {
    key: 'street-works',
    opened: (t) => t.workday(1, '08:50'),
    via: 'phone',
    takenBy: 'priya',
    requester: { name: 'Bernard Okoye', email: 'bernard.okoye@example.com' },
    subject: 'How long will the roadworks on North Street last?',
    description: 'Mr Okoye phoned: the lights on North Street are causing long queues. How long will the work take? He would like the answer by email.',
    category: 'general',
    steps: [
      [60, { triage: { team: 'support', assignee: 'priya', priority: 'low' }, by: 'hannah' }],
      [90, { reply: 'Hello Bernard, the smart meter installations on North Street finish on Wednesday; the lights go once each day’s work is done.', by: 'priya', status: 'resolved' }],
    ],
  },
  {
    key: 'address-update',
    opened: (t) => t.workday(5, '10:30'),
    via: 'web',
    requester: { name: 'Fiona Grant', email: 'fiona.grant@example.net' },
    subject: 'Update my billing address',
    description: 'Please send bills to my PO Box 221, Bristol BS1 9XX from now on.',
    category: 'account',
    steps: [
      [50, { triage: { team: 'support', assignee: 'tom', priority: 'low' }, by: 'hannah' }],
      [70, { reply: { canned: 'closing' }, by: 'tom', status: 'resolved' }],
      [5 * H, { rate: 4 }],
      [D + H, { status: 'closed', by: 'tom' }],
    ],
  },
  {
    key: 'hardness',
    opened: (t) => t.workday(4, '14:30'),
    via: 'email',
    requester: { name: 'Katarzyna Nowak', email: 'katarzyna.nowak@example.org' },
    subject: 'Water hardness for a new dishwasher',
    description: 'What is the water hardness in BS6? The dishwasher manual asks for it.',
    category: 'quality',
    steps: [
      [45, { triage: { team: 'support', assignee: 'priya', priority: 'low' }, by: 'hannah' }],
      [60, { reply: 'Hello Katarzyna, BS6 has moderately hard water: about 250 mg/l calcium carbonate (14 °Clark). Setting 4 on most dishwashers.', by: 'priya', status: 'resolved' }],
      [D, { status: 'closed', by: 'priya' }],
    ],
  },
  {
    key: 'keynsham-interruption',
    opened: (t) => t.workday(4, '07:55'),
    via: 'sms',
    requester: { name: 'Rita Chandler', mobile: '+447700900654' },
    subject: 'Still no water in Keynsham after the planned work',
    description: 'Still no water in Keynsham after the planned work\nYou said it would be back by 6am.',
    category: 'outage',
    steps: [
      [15, { triage: { team: 'field', assignee: 'aisha', priority: 'high' }, by: 'marcus' }],
      [25, { reply: 'Sorry Rita, the work overran. Supply should be back within the hour.', by: 'aisha' }],
      [2 * H, { customer: 'It is back now' }],
      [2 * H + 10, { reply: 'Thank you for letting us know. We will check the pressure on your street this week.', by: 'aisha', status: 'resolved' }],
      [D + 2 * H, { status: 'closed', by: 'aisha' }],
    ],
  },
  {
    key: 'duplicate-account',
    opened: (t) => t.workday(3, '15:00'),
    via: 'api',
    requester: { name: 'Customer portal', email: 'portal@harbourside.example.com' },
    subject: 'Duplicate customer account detected: 4410-2231 and 4410-2238',
    description: 'The customer portal found two accounts with the same supply address (27 Ashley Road, BS6). Merge or close one.',
    category: 'account',
    priority: 'low',
    team: 'support',
    steps: [
      [H, { triage: { assignee: 'tom' }, by: 'hannah' }],
      [2 * H, { note: 'Closed 4410-2238 (created by mistake on the phone); balance moved to 4410-2231.', by: 'tom' }],
      [2 * H + 5, { status: 'closed', by: 'tom' }],
    ],
  },
  {
    key: 'standpipe',
    opened: (t) => t.workday(5, '09:00'),
    via: 'web',
    requester: { name: 'Colin Marsh', email: 'colin.marsh@example.com' },
    subject: 'Dripping standpipe at the allotments',
    description: 'The standpipe at the Ashton Vale allotments drips day and night.',
    category: 'leak',
    steps: [
      [3 * H, { triage: { team: 'support', assignee: 'priya' }, by: 'hannah' }],
      [2 * D, { reply: 'Hello Colin, the standpipe belongs to the allotment society, so we have passed your message to their secretary.', by: 'priya', status: 'resolved' }],
      [2 * D + H, { rate: 2, comment: 'Took three days to be told it was not yours.' }],
      [3 * D, { status: 'closed', by: 'priya' }],
    ],
  },
  {
    key: 'thank-you',
    opened: (t) => t.workday(3, '16:30'),
    via: 'web',
    requester: { name: 'Edith Parry', email: 'edith.parry@example.org' },
    subject: 'Thank you to the crew at Bradley Stoke',
    description: 'Just a note to say the team fitting the valve on our road were polite and tidy. Thank you.',
    category: 'feedback',
    steps: [
      [H, { triage: { team: 'support', assignee: 'tom', priority: 'low' }, by: 'hannah' }],
      [80, { reply: 'Thank you Edith, we have passed your kind words on to the crew.', by: 'tom', status: 'resolved' }],
      [3 * H, { rate: 5, comment: 'Lovely reply.' }],
      [D, { status: 'closed', by: 'tom' }],
    ],
  },
];
