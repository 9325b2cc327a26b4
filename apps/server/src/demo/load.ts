/**
 * `imsop demo`: loads Harbourside Utilities (organization.ts, tickets.ts, signals.ts) into a fresh
 * database, through the modules' services: every record is made by a use case, with its audit
 * record and events, as the person who would have made it (the org's administrator for the set-up,
 * the agents for their replies, the managers for their operations and ratings), with `imsop demo`
 * as the audit records' user agent.
 *
 * The past week is played on the demo app's own clock (the platform's injected clock, which the
 * service desk reads): tickets open, replies and status changes happen at their own instants, and
 * the SLA scheduler runs every fifteen simulated minutes in between, so warnings, breaches and
 * escalations fire when they fell due. Telemetry carries its own timestamps: seven days of points
 * every five minutes go through the ingest path with each device's key, so the anomaly detector and
 * the alert rules see them in order and raise (and clear) their alarms at the points' times.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.ts';
import type { Config } from '../config.ts';
import type { Actor, RequestMeta } from '../platform/access/actor.ts';
import { passwordProblem } from '../platform/auth/password.ts';
import type { Database } from '../platform/db/client.ts';
import { identityModule } from '../modules/identity/index.ts';
import { operationsModule } from '../modules/operations/index.ts';
import { servicedeskModule } from '../modules/servicedesk/index.ts';
import { telemetryModule } from '../modules/telemetry/index.ts';
import {
  ALERT_RULES,
  API_KEYS,
  CALENDARS,
  CANNED,
  DEPARTMENTS,
  emailOf,
  OPERATIONS,
  ORG_NAME,
  PEOPLE,
  POLICIES,
  RATINGS,
  RESOURCES,
  TEAMS,
  type CannedKey,
  type PersonKey,
  type ResourceKey,
  type TeamKey,
} from './organization.ts';
import { DEMO_DEVICES, HISTORY_DAYS, HISTORY_STEP_MS, sendsAt, valueAt } from './signals.ts';
import { STORIES, type Story, type StoryStep } from './tickets.ts';
import { DEMO_ZONE, demoTime, previousMonth, type DemoTime } from './when.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** How often the SLA scheduler runs while the week is played (the server's tick is shorter; a quarter of an hour is close enough for a story, and 700 passes take a few seconds). */
const SLA_TICK_MS = 15 * MINUTE;

/** The database holds something besides a fresh organization "default" and its administrator. */
export class DemoRefused extends Error {
  override name = 'DemoRefused';
}

export interface DemoResult {
  org: string;
  loadedAt: string;
  users: { name: string; email: string; role: string; department: string }[];
  counts: Record<'users' | 'departments' | 'operations' | 'tasks' | 'resources' | 'allocations' | 'devices' | 'points' | 'alarms' | 'tickets' | 'teams' | 'slaPolicies', number>;
  /** The demo devices and their keys (shown once), for `imsop simulate`. */
  devices: { slug: string; id: string; name: string; key: string }[];
}

export interface DemoOptions {
  /** The demo users' shared password. */
  password: string;
  /** The load's instant (ms); the week before it is history. Default: now, on a 5-minute boundary. */
  loadedAt?: number;
}

/**
 * Builds an app of its own on `database` whose clock the loader moves, loads the demo and closes
 * that app. On PGlite it runs where the database is open: in the CLI's process when no server
 * runs, inside the server (through its control socket) when one does.
 */
export async function runDemo(database: Database, config: Config, opts: DemoOptions): Promise<DemoResult> {
  const loadedAt = opts.loadedAt ?? Math.floor(Date.now() / HISTORY_STEP_MS) * HISTORY_STEP_MS;
  const clock = { now: loadedAt - (HISTORY_DAYS + 1) * DAY };
  const app = await buildApp({ config, database, logger: false, clock: () => clock.now });
  try {
    // Only the modules' start (telemetry's partitions); no dispatcher, jobs or subscriptions of this app:
    // what the demo queues (events, notifications) is the server's to deliver.
    await app.platform.modules.start();
    return await loadDemo(app, clock, demoTime(loadedAt), opts.password);
  } finally {
    await app.close();
  }
}

const META: RequestMeta = { ip: null, userAgent: 'imsop demo', requestId: null };

function servicesOf(app: FastifyInstance) {
  return {
    identity: app.platform.module(identityModule).services,
    operations: app.platform.module(operationsModule).services,
    telemetry: app.platform.module(telemetryModule).services,
    desk: app.platform.module(servicedeskModule).services,
  };
}
type Services = ReturnType<typeof servicesOf>;

/**
 * What "a database that holds other data" means: anything besides one organization with one user
 * (its administrator). Asked through the services, as that administrator sees the org.
 */
export async function demoRefusal(app: FastifyInstance): Promise<{ admin: Actor } | { refused: string }> {
  const svc = servicesOf(app);
  const org = await app.platform.modules.port('orgBySlug')('default');
  if (!org) return { refused: 'there is no organization "default"' };
  // The administrator made at the first start (the platform administrator) acts; other admins are other data.
  let admin: Actor | null = null;
  for (const a of await app.platform.modules.port('roleMembers')(org.id, 'admin')) {
    const actor = await svc.identity.actors.forUser(org.id, a.id, META);
    if (actor?.isPlatformAdmin) admin = actor;
  }
  if (!admin) return { refused: 'organization "default" has no platform administrator' };
  const found: string[] = [];
  const note = (n: number, what: string) => n > 0 && found.push(what);
  note((await svc.identity.orgs.list(admin, { limit: 2 })).data.length - 1, 'other organizations');
  note((await svc.identity.users.list(admin, { limit: 2, deleted: 'include' })).data.length - 1, 'users besides the administrator');
  note((await svc.identity.apiKeys.list(admin, { limit: 1 })).data.length, 'API keys');
  note((await svc.operations.operations.list(admin, { limit: 1 })).data.length, 'operations');
  note((await svc.operations.resources.list(admin, { limit: 1 })).data.length, 'resources');
  note((await svc.telemetry.devices.list(admin, { limit: 1 })).data.length, 'devices');
  note((await svc.telemetry.alarms.listRules(admin, { limit: 1 })).data.length, 'alert rules');
  note((await svc.desk.tickets.list(admin, { limit: 1 })).data.length, 'tickets');
  note((await svc.desk.admin.listTeams(admin, { limit: 1 })).data.length, 'service desk teams');
  note((await svc.desk.admin.listCanned(admin, { limit: 1 })).data.length, 'canned responses');
  note((await svc.desk.slaAdmin.listCalendars(admin, { limit: 1 })).data.length, 'business calendars');
  note((await svc.desk.slaAdmin.listPolicies(admin, { limit: 1 })).data.length, 'SLA policies');
  return found.length ? { refused: `the database already holds data (${found.join(', ')})` } : { admin };
}

/** Every alarm of the org, page by page (the list is newest first). */
async function everyAlarm(svc: ReturnType<typeof servicesOf>, admin: Actor) {
  const out = [];
  for (let cursor: string | undefined; ; ) {
    const page = await svc.telemetry.alarms.list(admin, { limit: 200, cursor });
    out.push(...page.data);
    if (!page.nextCursor) return out;
    cursor = page.nextCursor;
  }
}

async function loadDemo(app: FastifyInstance, clock: { now: number }, t: DemoTime, password: string): Promise<DemoResult> {
  const svc = servicesOf(app);
  const check = await demoRefusal(app);
  if ('refused' in check) throw new DemoRefused(check.refused);
  const admin = check.admin;
  // Checked as user creation checks it (the address included) before anything is written: a refusal
  // half-way would leave a database that holds part of the demo, which a second run refuses.
  for (const p of Object.values(PEOPLE) as (typeof PEOPLE)[PersonKey][]) {
    const weak = passwordProblem(password, { email: emailOf(p) });
    if (weak) throw new Error(`the demo users' password ${weak}`);
  }
  // A running server's SLA scheduler (on any instance) would act on the week being written at the
  // present time: breach a ticket between its creation and its first reply. Held until it is played.
  const held = (app.platform.module(servicedeskModule).schedules ?? []).map((s) => s.name);
  for (const name of held) await app.platform.jobs.hold(name, t.loadedAt + 30 * MINUTE);
  try {
    return await load(svc, admin, clock, t, password);
  } finally {
    for (const name of held) await app.platform.jobs.release(name, t.loadedAt);
  }
}

async function load(svc: Services, admin: Actor, clock: { now: number }, t: DemoTime, password: string): Promise<DemoResult> {
  const orgId = admin.orgId;

  // — The organization and its people —
  await svc.identity.orgs.update(admin, { name: ORG_NAME, settings: { timeZone: DEMO_ZONE } });
  const userIds = {} as Record<PersonKey, string>;
  for (const [key, p] of Object.entries(PEOPLE) as [PersonKey, (typeof PEOPLE)[PersonKey]][]) {
    const u = await svc.identity.users.create(admin, {
      email: emailOf(p),
      name: p.name,
      password,
      department: p.department,
      phone: p.phone,
      metadata: { title: p.title },
      roles: [p.role],
    });
    userIds[key] = u.id;
  }
  const actors = new Map<PersonKey, Actor>();
  const as = async (key: PersonKey): Promise<Actor> => {
    let a = actors.get(key);
    if (!a) {
      a = (await svc.identity.actors.forUser(orgId, userIds[key], META))!;
      actors.set(key, a);
    }
    return a;
  };
  for (const k of API_KEYS) await svc.identity.apiKeys.create(admin, { name: k.name, permissions: [...k.permissions] });

  // — Field operations: resources, operations with their tasks and bookings —
  const marcus = await as('marcus');
  const resourceIds = {} as Record<ResourceKey, string>;
  for (const [key, r] of Object.entries(RESOURCES) as [ResourceKey, (typeof RESOURCES)[ResourceKey]][]) {
    const metadata: Record<string, unknown> = { ...r.metadata };
    if ('person' in r.metadata) metadata.userId = userIds[r.metadata.person];
    resourceIds[key] = (await svc.operations.resources.create(marcus, { name: r.name, kind: r.kind, metadata })).id;
  }
  const operationIds = new Map<string, string>();
  const iso = (ms: number) => new Date(ms).toISOString();
  for (const o of OPERATIONS) {
    const [start, end] = o.window(t);
    const op = await svc.operations.operations.create(marcus, {
      name: o.name,
      description: o.description,
      priority: o.priority,
      type: o.type,
      location: o.location,
      startAt: iso(start),
      endAt: iso(end),
      ownerId: userIds[o.owner],
      assignees: o.assignees.map((a) => userIds[a]),
      tags: o.tags,
    });
    operationIds.set(o.key, op.id);
    for (const [i, task] of o.tasks.entries()) {
      await svc.operations.tasks.create(marcus, op.id, {
        title: task.title,
        status: task.status,
        position: i,
        assigneeId: task.assignee ? userIds[task.assignee] : null,
        dueAt: task.dueAfterHours === undefined ? null : iso(start + task.dueAfterHours * 3_600_000),
        ...(task.checklist ? { checklist: task.checklist } : {}),
      });
    }
    for (const a of o.allocations) {
      const [from, to] = a.window ? a.window(t) : [start, end];
      await svc.operations.resources.allocate(marcus, op.id, { resourceId: resourceIds[a.resource], startsAt: iso(from), endsAt: iso(to) });
    }
    const path = { pending: [], in_progress: ['in_progress'], completed: ['in_progress', 'completed'], failed: ['in_progress', 'failed'] } as const;
    for (const status of path[o.status]) await svc.operations.operations.update(marcus, op.id, { status });
  }

  // — Devices, alert rules, and a week of telemetry through the ingest path —
  const devices: DemoResult['devices'] = [];
  for (const d of DEMO_DEVICES) {
    const created = await svc.telemetry.devices.create(marcus, {
      name: d.name,
      type: d.type,
      operationId: d.operation ? (operationIds.get(d.operation) ?? null) : null,
      metadata: { ...d.metadata },
    });
    devices.push({ slug: d.slug, id: created.id, name: d.name, key: created.key });
  }
  const ruleIds = new Map<string, string>();
  for (const r of ALERT_RULES) {
    const { device, ...rule } = r as (typeof ALERT_RULES)[number] & { device?: string };
    const created = await svc.telemetry.alarms.createRule(marcus, { ...rule, deviceId: device ? devices.find((d) => d.slug === device)!.id : null });
    ruleIds.set(r.name, created.id);
  }
  let points = 0;
  for (const [i, d] of DEMO_DEVICES.entries()) {
    const identity = await svc.telemetry.devices.authenticate(devices[i]!.key);
    if (!identity) throw new Error(`the key of ${d.name} does not authenticate`);
    const from = t.loadedAt - HISTORY_DAYS * DAY;
    // One request per device and day, in time order, as a device catching up after an outage would send.
    for (let day = 0; day < HISTORY_DAYS + 1; day++) {
      const batch: { metricName: string; value: number; unit: string; timestamp: number }[] = [];
      for (let ts = from + day * DAY; ts < Math.min(from + (day + 1) * DAY, t.loadedAt + 1); ts += HISTORY_STEP_MS) {
        if (!sendsAt(d, ts, t.loadedAt)) continue;
        for (const m of d.metrics) batch.push({ metricName: m.metric, value: valueAt(d, m, ts, t.loadedAt), unit: m.unit, timestamp: ts });
      }
      if (batch.length === 0) continue;
      const r = await svc.telemetry.telemetry.ingest({ device: identity }, { points: batch }, { partial: false });
      points += r.accepted;
    }
  }
  // The no-data check the server runs every 15 s, once, at the load: the silent weather station.
  await svc.telemetry.alarms.checkSilence(t.loadedAt);
  const alarmsNow = await everyAlarm(svc, admin);
  const latestOf = (rule: string) => alarmsNow.filter((a) => a.ruleId === ruleIds.get(rule)).sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
  for (const [by, rule] of [['callum', 'Unusual flow'], ['callum', 'Pump motor overheating'], ['marcus', 'Transformer running hot']] as const) {
    const alarm = latestOf(rule);
    if (alarm) await svc.telemetry.alarms.transition(await as(by), [alarm.id], 'ack');
  }

  // — The service desk: teams, calendars, SLA policies, canned responses —
  clock.now = t.loadedAt - (HISTORY_DAYS + 1) * DAY;
  const teamIds = {} as Record<TeamKey, string>;
  for (const [key, team] of Object.entries(TEAMS) as [TeamKey, (typeof TEAMS)[TeamKey]][]) {
    const created = await svc.desk.admin.createTeam(admin, { name: team.name, assignment: team.assignment, managerId: userIds[team.manager] });
    await svc.desk.admin.setMembers(admin, created.id, team.members.map((m) => userIds[m]));
    teamIds[key] = created.id;
  }
  const calendarIds = {} as Record<keyof typeof CALENDARS, string>;
  for (const [key, c] of Object.entries(CALENDARS) as [keyof typeof CALENDARS, (typeof CALENDARS)[keyof typeof CALENDARS]][]) {
    calendarIds[key] = (await svc.desk.slaAdmin.saveCalendar(admin, null, { name: c.name, timeZone: c.timeZone, weeklyHours: c.weeklyHours, holidays: [...c.holidays] })).id;
  }
  for (const [position, p] of POLICIES.entries()) {
    await svc.desk.slaAdmin.savePolicy(admin, null, {
      name: p.name,
      position,
      isDefault: 'isDefault' in p ? p.isDefault : false,
      conditions: p.conditions,
      targets: p.targets,
      warningThresholds: [...p.warningThresholds],
      escalations: p.escalations.map((e) => ({ ...e, actions: [...e.actions] })),
      calendarId: calendarIds[p.calendar],
    });
  }
  const cannedIds = {} as Record<CannedKey, string>;
  for (const [key, c] of Object.entries(CANNED) as [CannedKey, (typeof CANNED)[CannedKey]][]) {
    cannedIds[key] = (await svc.desk.admin.saveCanned(admin, null, { title: c.title, body: c.body })).id;
  }

  // — The week at the desk, in time order —
  const play = createPlayer(svc, { orgId, admin, as, userIds, teamIds, cannedIds });
  const events = STORIES.flatMap((story) => [
    { at: story.opened(t), story, step: null as StoryStep | null, order: 0 },
    ...story.steps.map(([minutes, step], i) => ({ at: story.opened(t) + minutes * MINUTE, story, step, order: i + 1 })),
  ]).sort((a, b) => a.at - b.at || a.order - b.order);
  const late = events.find((e) => e.at > t.loadedAt);
  if (late) throw new Error(`story "${late.story.key}" has a step after the load`);
  let nextTick = events[0]!.at;
  const advanceTo = async (at: number) => {
    for (; nextTick <= at; nextTick += SLA_TICK_MS) {
      clock.now = nextTick;
      await svc.desk.sla.tick(nextTick);
    }
    clock.now = at;
  };
  for (const e of events) {
    await advanceTo(e.at);
    await (e.step ? play.step(e.story, e.step) : play.open(e.story));
  }
  await advanceTo(t.loadedAt);
  // And one pass at the load itself: what fell due since the last quarter of an hour fires now.
  await svc.desk.sla.tick(t.loadedAt);

  // Last month's ratings of the agents by their managers.
  for (const r of RATINGS) {
    await svc.desk.dashboards.rate(await as(r.by), { agentId: userIds[r.agent], period: previousMonth(t.loadedAt), score: r.score, comment: r.comment });
  }

  return {
    org: ORG_NAME,
    loadedAt: new Date(t.loadedAt).toISOString(),
    users: (Object.values(PEOPLE) as (typeof PEOPLE)[PersonKey][]).map((p) => ({ name: p.name, email: emailOf(p), role: p.role, department: p.department })),
    counts: {
      users: Object.keys(PEOPLE).length,
      departments: Object.keys(DEPARTMENTS).length,
      operations: OPERATIONS.length,
      tasks: OPERATIONS.reduce((n, o) => n + o.tasks.length, 0),
      resources: Object.keys(RESOURCES).length,
      allocations: OPERATIONS.reduce((n, o) => n + o.allocations.length, 0),
      devices: devices.length,
      points,
      alarms: (await everyAlarm(svc, admin)).length,
      tickets: STORIES.length,
      teams: Object.keys(TEAMS).length,
      slaPolicies: POLICIES.length,
    },
    devices,
  };
}

interface PlayerContext {
  orgId: string;
  admin: Actor;
  as(key: PersonKey): Promise<Actor>;
  userIds: Record<PersonKey, string>;
  teamIds: Record<TeamKey, string>;
  cannedIds: Record<CannedKey, string>;
}

/** Plays stories' events through the service desk's channels and use cases. */
function createPlayer(svc: Services, c: PlayerContext) {
  const desk = svc.desk;
  const tickets = new Map<string, { id: string; token?: string; messageId?: string; chat?: number }>();
  const of = (story: Story) => {
    const s = tickets.get(story.key);
    if (!s) throw new Error(`story "${story.key}" has no ticket yet`);
    return s;
  };
  const provider = (via: Story['via']) => (via === 'whatsapp' ? 'whatsapp_cloud' : 'twilio');

  /** A plain-text email as a mail relay hands it over; headers in RFC 2047 where they are not ASCII. */
  const mime = (story: Story, messageId: string, subject: string, body: string, inReplyTo?: string) => {
    const word = (s: string) => (/^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s).toString('base64')}?=`);
    return Buffer.from(
      [
        `From: ${word(story.requester.name)} <${story.requester.email}>`,
        'To: Harbourside Support <support@harbourside.example.com>',
        `Subject: ${word(subject)}`,
        `Message-ID: ${messageId}`,
        ...(inReplyTo ? [`In-Reply-To: ${inReplyTo}`, `References: ${inReplyTo}`] : []),
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 8bit',
        '',
        body,
      ].join('\r\n'),
    );
  };

  /** One chat message from the story's customer. */
  async function chat(story: Story, text: string) {
    const s = tickets.get(story.key) ?? { id: '', chat: 0 };
    s.chat = (s.chat ?? 0) + 1;
    tickets.set(story.key, s);
    await desk.conversations.receive(c.orgId, provider(story.via), story.via as 'whatsapp' | 'sms', { id: `demo-${story.key}-${s.chat}`, from: story.requester.mobile!, text }, META);
  }

  return {
    async open(story: Story) {
      const r = story.requester;
      switch (story.via) {
        case 'web': {
          const out = await desk.tickets.createPublic({ org: 'default', name: r.name, email: r.email!, subject: story.subject, description: story.description, category: story.category }, META);
          tickets.set(story.key, { id: out.id, token: out.token });
          return;
        }
        case 'email': {
          const messageId = `<demo-${story.key}@${r.email!.split('@')[1]}>`;
          const out = await desk.inbound.receiveEmail(c.admin, mime(story, messageId, story.subject, story.description));
          tickets.set(story.key, { id: out.ticketId, messageId });
          if (story.category) await desk.tickets.update(c.admin, out.ticketId, { category: story.category });
          return;
        }
        case 'whatsapp':
        case 'sms': {
          // The dialogue: hello, name, email (or SKIP), then the request, whose message opens the ticket.
          for (const text of ['Hello', r.name, r.email ?? 'SKIP', story.description]) await chat(story, text);
          const page = await desk.tickets.list(c.admin, { limit: 1, channel: story.via, sort: { field: 'createdAt', desc: true } });
          const ticket = page.data[0];
          if (!ticket || ticket.requester.mobile !== r.mobile) throw new Error(`the chat of story "${story.key}" opened no ticket`);
          tickets.get(story.key)!.id = ticket.id;
          if (story.category) await desk.tickets.update(c.admin, ticket.id, { category: story.category });
          return;
        }
        case 'phone': {
          // The agent who took the call opens the ticket for the caller.
          const out = await desk.tickets.create(await c.as(story.takenBy!), {
            subject: story.subject,
            description: story.description,
            requester: { name: r.name, email: r.email ?? null, mobile: r.mobile ?? null },
            category: story.category ?? null,
            channel: 'phone',
          });
          tickets.set(story.key, { id: out.id });
          return;
        }
        case 'api': {
          const out = await desk.tickets.create(c.admin, {
            subject: story.subject,
            description: story.description,
            requester: { name: r.name, email: r.email ?? null },
            priority: story.priority,
            category: story.category ?? null,
            teamId: story.team ? c.teamIds[story.team] : null,
            channel: 'api',
          });
          tickets.set(story.key, { id: out.id });
        }
      }
    },

    async step(story: Story, step: StoryStep) {
      const s = of(story);
      if ('triage' in step) {
        const x = step.triage;
        await desk.tickets.update(await c.as(step.by), s.id, {
          ...(x.team ? { teamId: c.teamIds[x.team] } : {}),
          ...(x.assignee ? { assigneeId: c.userIds[x.assignee] } : {}),
          ...(x.priority ? { priority: x.priority } : {}),
          ...(x.category ? { category: x.category } : {}),
          ...(x.tags ? { addTags: x.tags } : {}),
        });
      } else if ('reply' in step) {
        const actor = await c.as(step.by);
        const body = typeof step.reply === 'string' ? step.reply : (await desk.admin.renderCanned(actor, s.id, c.cannedIds[step.reply.canned])).text;
        await desk.replies.reply(actor, s.id, { body, ...(step.status ? { status: step.status } : {}) });
      } else if ('note' in step) {
        await desk.replies.reply(await c.as(step.by), s.id, { body: step.note, isInternal: true });
      } else if ('status' in step) {
        await desk.tickets.update(await c.as(step.by), s.id, { status: step.status });
      } else if ('customer' in step) {
        if (story.via === 'web') await desk.replies.portalReply(s.id, s.token!, { body: step.customer }, META);
        else if (story.via === 'email') {
          const n = (s.chat = (s.chat ?? 0) + 1);
          await desk.inbound.receiveEmail(c.admin, mime(story, `<demo-${story.key}-${n}@${story.requester.email!.split('@')[1]}>`, `Re: ${story.subject}`, step.customer, s.messageId));
        } else if (story.via === 'whatsapp' || story.via === 'sms') await chat(story, step.customer);
        else throw new Error(`story "${story.key}": a customer cannot answer an ${story.via} ticket`);
      } else if ('rate' in step) {
        await desk.replies.rate(s.id, s.token!, { score: step.rate, ...(step.comment ? { comment: step.comment } : {}) }, META);
      } else {
        await desk.tickets.merge(await c.as(step.by), s.id, of(STORIES.find((x) => x.key === step.mergeInto)!).id);
      }
    },
  };
}
