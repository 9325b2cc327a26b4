/**
 * The demo organization: Harbourside Utilities, a water and energy utility around Bristol, with a
 * customer service department that runs the service desk and a field operations department that
 * runs the operations, the devices and their alarms. Everything here is fiction: the people, the
 * customers (addresses at example.com, example.net and example.org; mobile numbers from Ofcom's
 * range reserved for drama, +44 7700 900xxx) and the equipment. The places are real.
 */
import type { DemoTime } from './when.ts';

export const ORG_NAME = 'Harbourside Utilities';
export const STAFF_DOMAIN = 'harbourside.example.com';

export const DEPARTMENTS = { service: 'Customer Service', field: 'Field Operations' } as const;

export interface Person {
  name: string;
  role: 'admin' | 'manager' | 'agent' | 'executive' | 'viewer';
  department: string;
  title: string;
  phone: string;
}

/** Twelve people in every system role across the two departments (the bootstrap administrator stays as well). */
export const PEOPLE = {
  olivia: { name: 'Olivia Bennett', role: 'admin', department: DEPARTMENTS.service, title: 'Head of Digital Services', phone: '+44 117 496 0101' },
  eleanor: { name: 'Eleanor Whitfield', role: 'executive', department: DEPARTMENTS.service, title: 'Customer Director', phone: '+44 117 496 0102' },
  hannah: { name: 'Hannah Clarke', role: 'manager', department: DEPARTMENTS.service, title: 'Customer Support Manager', phone: '+44 117 496 0103' },
  priya: { name: 'Priya Shah', role: 'agent', department: DEPARTMENTS.service, title: 'Customer Support Advisor', phone: '+44 117 496 0104' },
  tom: { name: 'Tom Fletcher', role: 'agent', department: DEPARTMENTS.service, title: 'Customer Support Advisor', phone: '+44 117 496 0105' },
  grace: { name: 'Grace Okafor', role: 'agent', department: DEPARTMENTS.service, title: 'Billing Specialist', phone: '+44 117 496 0106' },
  samuel: { name: 'Samuel Osei', role: 'viewer', department: DEPARTMENTS.service, title: 'Finance Analyst', phone: '+44 117 496 0107' },
  daniel: { name: 'Daniel Hughes', role: 'executive', department: DEPARTMENTS.field, title: 'Director of Operations', phone: '+44 117 496 0108' },
  marcus: { name: 'Marcus Reid', role: 'manager', department: DEPARTMENTS.field, title: 'Field Operations Manager', phone: '+44 117 496 0109' },
  aisha: { name: 'Aisha Rahman', role: 'agent', department: DEPARTMENTS.field, title: 'Network Technician', phone: '+44 117 496 0110' },
  jack: { name: 'Jack Turner', role: 'agent', department: DEPARTMENTS.field, title: 'Network Technician', phone: '+44 117 496 0111' },
  callum: { name: 'Callum Price', role: 'agent', department: DEPARTMENTS.field, title: 'Control Room Operator', phone: '+44 117 496 0112' },
  chloe: { name: 'Chloe Evans', role: 'viewer', department: DEPARTMENTS.field, title: 'Compliance Auditor (contractor)', phone: '+44 117 496 0113' },
} as const satisfies Record<string, Person>;

export type PersonKey = keyof typeof PEOPLE;

export const emailOf = (p: Person) => `${p.name.toLowerCase().replace(/[^a-z]+/g, '.')}@${STAFF_DOMAIN}`;

export const TEAMS = {
  support: { name: 'Customer Support', assignment: 'round_robin', manager: 'hannah', members: ['priya', 'tom'] },
  billing: { name: 'Billing', assignment: 'load_based', manager: 'hannah', members: ['grace', 'tom'] },
  field: { name: 'Field Response', assignment: 'manual', manager: 'marcus', members: ['aisha', 'jack', 'callum'] },
} as const satisfies Record<string, { name: string; assignment: 'manual' | 'round_robin' | 'load_based'; manager: PersonKey; members: readonly PersonKey[] }>;

export type TeamKey = keyof typeof TEAMS;

/** England and Wales bank holidays (gov.uk). */
const BANK_HOLIDAYS: [string, string][] = [
  ['2025-01-01', 'New Year’s Day'], ['2025-04-18', 'Good Friday'], ['2025-04-21', 'Easter Monday'], ['2025-05-05', 'Early May bank holiday'],
  ['2025-05-26', 'Spring bank holiday'], ['2025-08-25', 'Summer bank holiday'], ['2025-12-25', 'Christmas Day'], ['2025-12-26', 'Boxing Day'],
  ['2026-01-01', 'New Year’s Day'], ['2026-04-03', 'Good Friday'], ['2026-04-06', 'Easter Monday'], ['2026-05-04', 'Early May bank holiday'],
  ['2026-05-25', 'Spring bank holiday'], ['2026-08-31', 'Summer bank holiday'], ['2026-12-25', 'Christmas Day'], ['2026-12-28', 'Boxing Day (substitute day)'],
  ['2027-01-01', 'New Year’s Day'], ['2027-03-26', 'Good Friday'], ['2027-03-29', 'Easter Monday'], ['2027-05-03', 'Early May bank holiday'],
  ['2027-05-31', 'Spring bank holiday'], ['2027-08-30', 'Summer bank holiday'], ['2027-12-27', 'Christmas Day (substitute day)'], ['2027-12-28', 'Boxing Day (substitute day)'],
];

const weekdays = (hours: [string, string][]) => Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday'].map((d) => [d, hours]));
const everyDay = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, [['00:00', '24:00']]]));

export const CALENDARS = {
  office: {
    name: 'Bristol office hours',
    timeZone: 'Europe/London',
    weeklyHours: { ...weekdays([['08:00', '18:00']]), saturday: [['09:00', '13:00']] },
    holidays: BANK_HOLIDAYS.map(([date, name]) => ({ date, name })),
  },
  control: { name: 'Control room (24/7)', timeZone: 'Europe/London', weeklyHours: everyDay, holidays: [] },
} as const;

/** In order: the first policy whose conditions match a ticket applies; the last is the default. */
export const POLICIES = [
  {
    name: 'Critical incidents (24/7)',
    calendar: 'control',
    conditions: { priority: ['urgent'] },
    targets: { urgent: { firstResponse: 30, nextResponse: 60, resolution: 240 } },
    warningThresholds: [0.75],
    escalations: [
      { id: 'duty-manager', at: 'breach', target: 'firstResponse', actions: ['notify_manager'] },
      { id: 'directors', at: 'breach', target: 'resolution', actions: ['notify_executive', 'reassign'] },
    ],
  },
  {
    name: 'Billing enquiries',
    calendar: 'office',
    conditions: { category: ['billing'] },
    targets: { low: { firstResponse: 480, resolution: 2880 }, medium: { firstResponse: 240, resolution: 1440 }, high: { firstResponse: 120, resolution: 720 } },
    warningThresholds: [0.75, 0.9],
    escalations: [{ id: 'team-manager', at: 'breach', target: 'firstResponse', actions: ['notify_manager'] }],
  },
  {
    name: 'Standard service',
    calendar: 'office',
    isDefault: true,
    conditions: {},
    targets: {
      low: { firstResponse: 480, resolution: 4800 },
      medium: { firstResponse: 240, nextResponse: 480, resolution: 2400 },
      high: { firstResponse: 60, nextResponse: 240, resolution: 960 },
      urgent: { firstResponse: 30, resolution: 480 },
    },
    warningThresholds: [0.75, 0.9],
    escalations: [{ id: 'team-manager', at: 'breach', actions: ['notify_manager'] }],
  },
] as const;

export const CANNED = {
  outage: {
    title: 'Known outage: crews on site',
    body: 'Hello {{requester.name}},\n\nThank you for letting us know. We are aware of the problem in your area and our crews are on site. We will update ticket #{{ticket.number}} as soon as supply is restored.\n\n{{agent.name}}\nHarbourside Utilities',
  },
  meterPhoto: {
    title: 'Ask for a meter photo',
    body: 'Hello {{requester.name}},\n\nCould you send us a photo of your meter showing the full reading and the serial number? You can reply to this message or upload it here: {{ticket.link}}\n\n{{agent.name}}',
  },
  paymentPlan: {
    title: 'Payment plan options',
    body: 'Hello {{requester.name}},\n\nWe can spread what you owe over 3, 6 or 12 months with no extra charge. Reply with the option that suits you and the day of the month you would like to pay.\n\n{{agent.name}}, Billing',
  },
  visit: {
    title: 'Visit booked',
    body: 'Hello {{requester.name}},\n\nA technician will visit on the date we agreed. They carry a Harbourside photo ID card; you can check it by calling 0117 496 0000.\n\n{{agent.name}}',
  },
  closing: {
    title: 'Resolved: anything else?',
    body: 'Hello {{requester.name}},\n\nWe have resolved ticket #{{ticket.number}} ({{ticket.subject}}). If anything is still not right, just reply and it will reopen.\n\nThank you,\n{{agent.name}}',
  },
} as const;

export type CannedKey = keyof typeof CANNED;

export const RESOURCES = {
  aisha: { name: 'Aisha Rahman', kind: 'person', metadata: { person: 'aisha', skills: ['mains repair', 'confined spaces'] } },
  jack: { name: 'Jack Turner', kind: 'person', metadata: { person: 'jack', skills: ['excavation', 'traffic management'] } },
  callum: { name: 'Callum Price', kind: 'person', metadata: { person: 'callum', skills: ['telemetry', 'pump stations'] } },
  van1: { name: 'Van BR23 KXD (Ford Transit)', kind: 'vehicle', metadata: { registration: 'BR23 KXD', depot: 'Avonmouth' } },
  van2: { name: 'Van BR24 JMV (Ford Transit)', kind: 'vehicle', metadata: { registration: 'BR24 JMV', depot: 'Bedminster' } },
  tanker: { name: 'Jetting tanker JT-2', kind: 'vehicle', metadata: { registration: 'WX22 HTP', capacity: '6,000 L' } },
  digger: { name: 'Excavator EX-1 (JCB 3CX)', kind: 'equipment', metadata: { asset: 'EX-1', lastService: '2026-09-14' } },
  detector: { name: 'Leak correlator LD-3', kind: 'equipment', metadata: { asset: 'LD-3', model: 'Gutermann Aquascan 610' } },
  camera: { name: 'Pipe camera PC-2', kind: 'equipment', metadata: { asset: 'PC-2', model: 'Rausch L 135' } },
  sampler: { name: 'Water sampling kit WS-5', kind: 'equipment', metadata: { asset: 'WS-5', accredited: true } },
} as const;

export type ResourceKey = keyof typeof RESOURCES;

type TaskStatus = 'todo' | 'in_progress' | 'done' | 'cancelled';
export interface DemoTask {
  title: string;
  status: TaskStatus;
  assignee?: PersonKey;
  /** Hours after the operation's start. */
  dueAfterHours?: number;
  checklist?: { text: string; done: boolean }[];
}

export interface DemoOperation {
  key: string;
  name: string;
  description: string;
  type: string;
  priority: 'low' | 'medium' | 'high' | 'critical';
  /** Its status now (reached through the transitions from pending). */
  status: 'pending' | 'in_progress' | 'completed' | 'failed';
  location: { text: string; lat: number; lng: number };
  window: (t: DemoTime) => [number, number];
  owner: PersonKey;
  assignees: PersonKey[];
  tags: string[];
  tasks: DemoTask[];
  /** Bookings: a resource over a window (the operation's own window unless given). */
  allocations: { resource: ResourceKey; window?: (t: DemoTime) => [number, number] }[];
}

const done = (...texts: string[]) => texts.map((text) => ({ text, done: true }));
const todo = (...texts: string[]) => texts.map((text) => ({ text, done: false }));

export const OPERATIONS: DemoOperation[] = [
  {
    key: 'burst-main',
    name: 'Burst main — Gloucester Road',
    description: '150 mm ductile iron main burst under the northbound lane at the junction with Berkeley Road. About 300 properties on low pressure or without supply.',
    type: 'emergency_repair',
    priority: 'critical',
    status: 'in_progress',
    location: { text: 'Gloucester Road, Bishopston, Bristol BS7', lat: 51.4795, lng: -2.592 },
    window: (t) => [t.hours(-3), t.hours(5)],
    owner: 'marcus',
    assignees: ['aisha', 'jack'],
    tags: ['burst', 'supply interruption'],
    tasks: [
      { title: 'Isolate the main at valves GR-12 and GR-14', status: 'done', assignee: 'aisha', dueAfterHours: 1 },
      { title: 'Traffic management in place (two-way lights)', status: 'done', assignee: 'jack', dueAfterHours: 1, checklist: done('Permit from Bristol City Council', 'Lights and signs set out') },
      { title: 'Excavate and expose the pipe', status: 'in_progress', assignee: 'jack', dueAfterHours: 4 },
      { title: 'Replace 2 m of 150 mm main', status: 'todo', assignee: 'aisha', dueAfterHours: 6, checklist: todo('Repair clamp or cut-in', 'Pressure test') },
      { title: 'Flush, sample and restore supply', status: 'todo', assignee: 'aisha', dueAfterHours: 8 },
    ],
    allocations: [{ resource: 'aisha' }, { resource: 'jack' }, { resource: 'van1' }, { resource: 'digger' }],
  },
  {
    key: 'ps04-inspection',
    name: 'Quarterly inspection — PS-04 Avonmouth pump station',
    description: 'Quarterly mechanical and electrical inspection; check the motor cooling fan flagged by the overheating alarms.',
    type: 'inspection',
    priority: 'medium',
    status: 'completed',
    location: { text: 'Avonmouth Docks, Bristol BS11', lat: 51.503, lng: -2.699 },
    window: (t) => [t.workday(4, '09:00'), t.workday(4, '13:00')],
    owner: 'marcus',
    assignees: ['callum'],
    tags: ['pump station', 'planned'],
    tasks: [
      { title: 'Vibration and bearing check on pumps 1 and 2', status: 'done', assignee: 'callum' },
      { title: 'Inspect the motor cooling fan', status: 'done', assignee: 'callum', checklist: done('Fan spins freely', 'Filter replaced') },
      { title: 'Download the RTU event log', status: 'done', assignee: 'callum' },
    ],
    allocations: [{ resource: 'callum' }, { resource: 'van2' }],
  },
  {
    key: 'reservoir-recalibration',
    name: 'Level sensor recalibration — Blackberry Hill reservoir',
    description: 'Recalibrate the RL-1 radar level sensor against the staff gauge after the annual clean.',
    type: 'maintenance',
    priority: 'low',
    status: 'completed',
    location: { text: 'Blackberry Hill, Stapleton, Bristol BS16', lat: 51.476, lng: -2.557 },
    window: (t) => [t.workday(3, '10:00'), t.workday(3, '13:00')],
    owner: 'marcus',
    assignees: ['callum'],
    tags: ['reservoir', 'telemetry'],
    tasks: [
      { title: 'Read the staff gauge and compare', status: 'done', assignee: 'callum' },
      { title: 'Adjust the sensor offset in the RTU', status: 'done', assignee: 'callum' },
    ],
    allocations: [{ resource: 'callum' }, { resource: 'van2' }],
  },
  {
    key: 'smart-meters',
    name: 'Smart meter installations — Bedminster (batch 14)',
    description: '48 properties on North Street and East Street; customers have booked two-hour slots.',
    type: 'installation',
    priority: 'medium',
    status: 'in_progress',
    location: { text: 'North Street, Bedminster, Bristol BS3', lat: 51.44, lng: -2.6 },
    window: (t) => [t.workday(1, '08:00'), t.day(2, '17:00')],
    owner: 'marcus',
    assignees: ['jack'],
    tags: ['smart meters', 'planned'],
    tasks: [
      { title: 'North Street, numbers 1–60 (24 meters)', status: 'done', assignee: 'jack', dueAfterHours: 9 },
      { title: 'East Street, numbers 2–48 (24 meters)', status: 'in_progress', assignee: 'jack', dueAfterHours: 57, checklist: [...done('Letters delivered'), ...todo('Meters fitted', 'Readings uploaded')] },
      { title: 'Report no-access properties to Customer Service', status: 'todo', dueAfterHours: 60 },
    ],
    allocations: [
      { resource: 'jack', window: (t) => [t.workday(1, '08:00'), t.workday(1, '16:30')] },
      { resource: 'van2', window: (t) => [t.workday(1, '08:00'), t.workday(1, '16:30')] },
    ],
  },
  {
    key: 'leak-survey',
    name: 'Leak survey — Clifton',
    description: 'Acoustic survey of district metered area DMA-31 after night flow rose by 4 L/s.',
    type: 'survey',
    priority: 'medium',
    status: 'pending',
    location: { text: 'Clifton Village, Bristol BS8', lat: 51.456, lng: -2.62 },
    window: (t) => [t.day(1, '08:00'), t.day(1, '14:00')],
    owner: 'marcus',
    assignees: ['aisha'],
    tags: ['leakage', 'DMA-31'],
    tasks: [
      { title: 'Deploy loggers on hydrants H-310 to H-318', status: 'todo', assignee: 'aisha' },
      { title: 'Correlate and mark suspected leaks', status: 'todo', assignee: 'aisha' },
    ],
    allocations: [{ resource: 'aisha' }, { resource: 'detector' }, { resource: 'van1' }],
  },
  {
    key: 'valve-exercising',
    name: 'Valve exercising programme — Kingswood',
    description: 'Operate and record 35 network valves due this quarter.',
    type: 'maintenance',
    priority: 'low',
    status: 'pending',
    location: { text: 'Kingswood, Bristol BS15', lat: 51.46, lng: -2.505 },
    window: (t) => [t.day(2, '08:00'), t.day(2, '16:00')],
    owner: 'marcus',
    assignees: ['callum'],
    tags: ['valves', 'planned'],
    tasks: [{ title: 'Exercise valves KW-101 to KW-135', status: 'todo', assignee: 'callum' }],
    allocations: [{ resource: 'callum' }, { resource: 'van2' }],
  },
  {
    key: 'ss7-thermal-survey',
    name: 'Thermal survey — SS-7 Filton substation',
    description: 'Thermal imaging of the transformer after the high-temperature alarm during the evening peak.',
    type: 'inspection',
    priority: 'high',
    status: 'completed',
    location: { text: 'Filton, Bristol BS34', lat: 51.509, lng: -2.576 },
    window: (t) => [t.workday(2, '13:00'), t.workday(2, '16:00')],
    owner: 'marcus',
    assignees: ['callum'],
    tags: ['substation', 'alarm follow-up'],
    tasks: [
      { title: 'Thermal images of the transformer and bushings', status: 'done', assignee: 'callum' },
      { title: 'Replace cooling fan 2', status: 'done', assignee: 'callum' },
    ],
    allocations: [{ resource: 'callum' }, { resource: 'van1' }],
  },
  {
    key: 'hydrant-repair',
    name: 'Hydrant repair — Lawrence Hill',
    description: 'Hydrant H-1182 leaking at the spindle, reported by a customer.',
    type: 'repair',
    priority: 'medium',
    status: 'completed',
    location: { text: 'Lawrence Hill, Bristol BS5', lat: 51.459, lng: -2.565 },
    window: (t) => [t.workday(5, '09:00'), t.workday(5, '12:00')],
    owner: 'marcus',
    assignees: ['aisha'],
    tags: ['hydrant', 'customer report'],
    tasks: [
      { title: 'Replace the spindle gland', status: 'done', assignee: 'aisha' },
      { title: 'Reply to the customer', status: 'done' },
    ],
    allocations: [{ resource: 'aisha' }, { resource: 'tanker' }],
  },
  {
    key: 'barrow-sampling',
    name: 'Water quality sampling — Barrow Tanks',
    description: 'Monthly regulatory samples at the treatment works outlet and two network points.',
    type: 'inspection',
    priority: 'medium',
    status: 'in_progress',
    location: { text: 'Barrow Gurney, North Somerset BS48', lat: 51.41, lng: -2.66 },
    window: (t) => [t.hours(-2), t.hours(4)],
    owner: 'marcus',
    assignees: ['callum'],
    tags: ['water quality', 'regulatory'],
    tasks: [
      { title: 'Outlet sample', status: 'done', assignee: 'callum' },
      { title: 'Network samples NP-4 and NP-7', status: 'in_progress', assignee: 'callum' },
      { title: 'Deliver samples to the laboratory', status: 'todo', assignee: 'callum', dueAfterHours: 6 },
    ],
    allocations: [{ resource: 'callum' }, { resource: 'sampler' }, { resource: 'van2' }],
  },
  {
    key: 'sewer-cctv',
    name: 'Sewer CCTV survey — Southmead',
    description: 'Survey of the 300 mm sewer under Southmead Road after odour complaints.',
    type: 'survey',
    priority: 'low',
    status: 'failed',
    location: { text: 'Southmead Road, Bristol BS10', lat: 51.496, lng: -2.596 },
    window: (t) => [t.workday(1, '09:00'), t.workday(1, '11:30')],
    owner: 'marcus',
    assignees: ['jack'],
    tags: ['sewer', 'odour'],
    tasks: [
      { title: 'Camera survey MH-22 to MH-26', status: 'cancelled', assignee: 'jack' },
      { title: 'Rebook with the jetting tanker first', status: 'todo' },
    ],
    allocations: [{ resource: 'camera' }, { resource: 'tanker' }],
  },
  {
    key: 'storm-drains',
    name: 'Storm drain clearance — Portishead',
    description: 'Clear gullies on the Esplanade before the forecast heavy rain; check the WS-1 weather station modem.',
    type: 'maintenance',
    priority: 'high',
    status: 'pending',
    location: { text: 'The Esplanade, Portishead BS20', lat: 51.484, lng: -2.7626 },
    window: (t) => [t.hours(6), t.hours(10)],
    owner: 'marcus',
    assignees: ['jack'],
    tags: ['drainage', 'weather'],
    tasks: [
      { title: 'Jet gullies G-40 to G-58', status: 'todo', assignee: 'jack' },
      { title: 'Replace the WS-1 modem', status: 'todo', assignee: 'jack' },
    ],
    allocations: [{ resource: 'jack' }, { resource: 'tanker' }],
  },
  {
    key: 'aq-install',
    name: 'Air quality sensor installation — Harbourside',
    description: 'Install and commission the AQ-3 air quality station for the city council partnership.',
    type: 'installation',
    priority: 'low',
    status: 'completed',
    location: { text: 'Canons Road, Harbourside, Bristol BS1', lat: 51.45, lng: -2.6 },
    window: (t) => [t.workday(5, '13:00'), t.workday(5, '16:00')],
    owner: 'marcus',
    assignees: ['callum'],
    tags: ['air quality', 'partnership'],
    tasks: [
      { title: 'Mount the station on column C-7', status: 'done', assignee: 'callum' },
      { title: 'Register the device and check the first readings', status: 'done', assignee: 'callum' },
    ],
    allocations: [{ resource: 'callum' }],
  },
  {
    key: 'mains-planning',
    name: 'Mains replacement survey — Temple Meads',
    description: 'Trial holes and a flow test ahead of replacing the 1890s cast iron main on Victoria Street.',
    type: 'planning',
    priority: 'medium',
    status: 'pending',
    location: { text: 'Victoria Street, Bristol BS1', lat: 51.4491, lng: -2.5813 },
    window: (t) => [t.day(5, '08:00'), t.day(5, '15:00')],
    owner: 'marcus',
    assignees: ['aisha', 'jack'],
    tags: ['capital works'],
    tasks: [
      { title: 'Book the road space', status: 'done' },
      { title: 'Trial holes TH-1 to TH-3', status: 'todo', assignee: 'jack' },
      { title: 'Flow test at FM-12', status: 'todo', assignee: 'aisha' },
    ],
    allocations: [{ resource: 'digger' }],
  },
  {
    key: 'keynsham-followup',
    name: 'Supply interruption follow-up — Keynsham',
    description: 'Check the pressure at affected properties after the planned shutdown ran late.',
    type: 'inspection',
    priority: 'medium',
    status: 'completed',
    location: { text: 'High Street, Keynsham BS31', lat: 51.4135, lng: -2.497 },
    window: (t) => [t.workday(1, '13:00'), t.workday(1, '15:00')],
    owner: 'marcus',
    assignees: ['aisha'],
    tags: ['supply interruption', 'customer report'],
    tasks: [{ title: 'Pressure readings at 10 properties', status: 'done', assignee: 'aisha' }],
    allocations: [{ resource: 'aisha' }, { resource: 'van1' }],
  },
  {
    key: 'pressure-trial',
    name: 'Pressure management trial — Bradley Stoke',
    description: 'Two weeks of reduced night pressure in DMA-12 to cut leakage; loggers on critical points.',
    type: 'maintenance',
    priority: 'medium',
    status: 'in_progress',
    location: { text: 'Bradley Stoke, Bristol BS32', lat: 51.529, lng: -2.543 },
    window: (t) => [t.workday(3, '08:00'), t.day(4, '17:00')],
    owner: 'marcus',
    assignees: ['aisha'],
    tags: ['leakage', 'DMA-12', 'trial'],
    tasks: [
      { title: 'Fit the pressure reducing valve controller', status: 'done', assignee: 'aisha' },
      { title: 'Weekly review of night flows', status: 'in_progress', assignee: 'aisha', dueAfterHours: 96 },
    ],
    allocations: [{ resource: 'detector', window: (t) => [t.workday(3, '08:00'), t.workday(3, '12:00')] }],
  },
];

export const ALERT_RULES = [
  { name: 'Pump motor overheating', metric: 'motor_temp_c', device: 'ps-04', kind: 'threshold', direction: 'above', threshold: 85, durationSeconds: 300, severity: 'major' },
  { name: 'Low network pressure', metric: 'pressure_bar', kind: 'threshold', direction: 'below', threshold: 1.5, durationSeconds: 600, severity: 'critical' },
  { name: 'Transformer running hot', metric: 'transformer_temp_c', kind: 'threshold', direction: 'above', threshold: 90, durationSeconds: 600, severity: 'major' },
  { name: 'Unusual flow', metric: 'flow_lps', kind: 'anomaly', threshold: 0.6, severity: 'minor' },
  { name: 'Chlorine residual low', metric: 'chlorine_mgl', kind: 'threshold', direction: 'below', threshold: 0.2, durationSeconds: 300, severity: 'critical' },
  { name: 'Weather station silent', metric: 'temperature_c', kind: 'no_data', durationSeconds: 3600, severity: 'warning' },
] as const;

/** Keys of the integrations the org runs (the secrets are shown once and not kept). */
export const API_KEYS = [
  { name: 'SCADA bridge', permissions: ['telemetry:ingest', 'alarms:read', 'devices:read'] },
  { name: 'Mail relay (support@harbourside.example.com)', permissions: ['tickets:create'] },
] as const;

/** Last month's ratings of the agents by their team managers. */
export const RATINGS: { by: PersonKey; agent: PersonKey; score: number; comment: string }[] = [
  { by: 'hannah', agent: 'priya', score: 5, comment: 'Calm and thorough on the outage calls; customers mention her by name.' },
  { by: 'hannah', agent: 'tom', score: 4, comment: 'Quick on billing queries; keep notes fuller when handing over.' },
  { by: 'hannah', agent: 'grace', score: 4, comment: 'Cleared the direct debit backlog in a week.' },
  { by: 'marcus', agent: 'aisha', score: 5, comment: 'Led the Lawrence Hill and Keynsham jobs without a hitch.' },
  { by: 'marcus', agent: 'jack', score: 4, comment: 'Good traffic management; update task status as you go.' },
  { by: 'marcus', agent: 'callum', score: 3, comment: 'Acknowledge alarms sooner on the night shift.' },
];
