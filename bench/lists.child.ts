/**
 * The seed of bench/lists.bench.ts, run inside the app's bench child (bench/server.ts with
 * BENCH_LISTS=1), next to the database: in-memory PGlite lives in that process. Every list kind is
 * written by SQL (`generate_series`) as the database owner in one transaction per org: through the
 * API, 10,000 rows of 25 kinds would take hours. Values vary like real data (names, statuses,
 * departments, timestamps spread over a year, in millisecond precision like the app's, so keyset
 * cursors compare exactly). Rows that need a valid document (SLA calendars and policies) are
 * cloned from one created through the API.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../apps/server/src/platform/db/client.ts';
import { queryRows } from '../apps/server/src/platform/db/client.ts';
import { hashPassword } from '../apps/server/src/platform/auth/password.ts';
import { createDefaultSla, weekdays } from './lib.ts';
import type { Commands } from './telemetry.child.ts';

/** What the bench needs to address the per-parent lists. */
export interface SeededIds {
  orgId: string;
  otherOrgId: string;
  /** An operation with ~10 % of the tasks and allocations, a ticket with ~10 % of the replies and timeline. */
  busyOperationId: string;
  busyTicketId: string;
  busyResourceId: string;
  busyDeviceId: string;
  /** A seeded user (for `/users/{id}/roles`). */
  userId: string;
  /** Seconds the seed took. */
  seconds: number;
}

const FIRST = `array['Ada','Bram','Chloe','Dmitri','Elif','Farah','Goran','Hana','Idris','Jonas','Keiko','Lena','Mateo','Nia','Omar','Priya','Quentin','Rosa','Sven','Tariq','Uma','Viktor','Wen','Yara','Zoltan']`;
const LAST = `array['Smith','Okafor','Novak','Haddad','Lindqvist','Moreau','Tanaka','Silva','Kowalski','Ibrahim','Fischer','Rossi','Nguyen','Murphy','Jansen','Petrov','Costa','Schmidt','Garcia','Kaya','Olsen','Dubois','Yilmaz']`;
const DEPARTMENTS = `array['support','network','field','billing','operations','sales',null]`;
const WORDS = `array['pump','valve','cable','tower','substation','feeder','meter','transformer','pipeline','reservoir','gateway','antenna']`;
const ACTIONS = `array['inspection','repair','upgrade','survey','replacement','audit','cleaning','calibration']`;
const CITIES = `array['Lisbon','Porto','Madrid','Lyon','Turin','Graz','Krakow','Ghent','Aarhus','Tampere','Cork','Leeds']`;
const SUBJECTS = `array['Printer','VPN','Laptop','Email','Network','Password','Monitor','Phone','Badge','Invoice','Wi-Fi','Database']`;
const PROBLEMS = `array['not working','very slow','broken after update','access request','error on start','keeps disconnecting','needs replacement']`;

/**
 * A UUIDv7 for an instant, as the app makes its ids (`newId`): time-ordered, so the seeded rows sit
 * in the primary-key indexes where the app's own rows would.
 */
const uuid7 = (at: SQL) =>
  sql`(lpad(to_hex((extract(epoch from ${at}) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 3) || '8' || substr(md5(random()::text), 1, 15))::uuid`;

/** `arr[1 + expr % len]`: picks from a literal array by a number. */
const pick = (array: string, expr: string) => `(${array})[1 + (${expr}) % array_length(${array}, 1)]`;

/**
 * Seeds one org: `n` rows of each org-scoped list kind; the per-parent kinds put `busy` of their
 * rows on one parent and spread the rest.
 */
async function seedOrg(database: Database, orgId: string, adminId: string, n: number, busy: number, base: Date, passwordHash: string) {
  const org = sql`${orgId}::uuid`;
  const t0 = sql`${base.toISOString()}::timestamptz`;
  /** Spread over about a year, newest first as g grows, with distinct milliseconds. */
  const ago = (g = 'g') => sql.raw(`(${g} * interval '53 minutes' + (${g} % 997) * interval '1 millisecond')`);
  const g = (s: string) => sql.raw(s);
  /** The id of a row created at `t0 - ago(g)` (most kinds); the others pass their own instant. */
  const id7 = uuid7(sql`${t0} - ${ago()}`);
  await database.db.transaction(async (tx) => {
    const x = (q: SQL) => tx.execute(q);
    // Users (and their roles): the admin is one of them.
    await x(sql`
      insert into users (id, org_id, email, name, password_hash, department, phone, is_active, last_login, metadata, created_at, updated_at)
      select ${id7}, ${org},
             lower(${g(pick(FIRST, 'g'))} || '.' || ${g(pick(LAST, 'g / 25'))} || '.' || g || '@example.test'),
             ${g(pick(FIRST, 'g'))} || ' ' || ${g(pick(LAST, 'g / 25'))},
             ${passwordHash}, ${g(pick(DEPARTMENTS, 'g / 3'))}, case when g % 4 = 0 then '+351 21 ' || lpad((g % 1000000)::text, 6, '0') end,
             g % 17 <> 0, case when g % 5 <> 0 then ${t0} - ${ago('(g % 200)')} end, '{"seeded": true}'::jsonb,
             ${t0} - ${ago()}, ${t0} - ${ago()}
        from generate_series(1, ${n - 1}::int) g`);
    await x(sql`
      insert into user_roles (org_id, user_id, role_id, assigned_by)
      select u.org_id, u.id, r.id, ${adminId}::uuid
        from (select id, org_id, row_number() over (order by created_at) as i from users where org_id = ${org} and id <> ${adminId}::uuid) u
        join roles r on r.org_id = u.org_id and r.name = case when u.i % 10 = 0 then 'manager' when u.i % 3 = 0 then 'agent' else 'viewer' end`);
    const people = sql`(select array_agg(id order by created_at) from users where org_id = ${org})`;

    // Operations, their assignees, tasks; resources and allocations.
    await x(sql`
      with p as (select ${people} as u)
      insert into operations (id, org_id, name, description, status, priority, type, location, lat, lng, start_at, end_at, completed_at, created_by, owner_id, tags, created_at, updated_at)
      select ${id7}, ${org},
             initcap(${g(pick(WORDS, 'g'))}) || ' ' || ${g(pick(ACTIONS, 'g / 12'))} || ' ' || ${g(pick(CITIES, 'g / 7'))} || ' #' || g,
             'Scheduled ' || ${g(pick(ACTIONS, 'g / 12'))} || ' of the ' || ${g(pick(WORDS, 'g'))} || ' near ' || ${g(pick(CITIES, 'g / 7'))},
             (array['pending','pending','in_progress','in_progress','completed','completed','completed','failed'])[1 + g % 8],
             (array['low','medium','medium','high','critical'])[1 + (g / 8) % 5],
             ${g(pick(`array['maintenance','installation','incident','inspection']`, 'g / 3'))},
             ${g(pick(CITIES, 'g / 7'))}, 38 + (g % 1300) / 100.0, -9 + (g % 1700) / 100.0,
             ${t0} - ${ago()} + interval '1 day', ${t0} - ${ago()} + interval '3 days',
             case when g % 8 between 4 and 6 then ${t0} - ${ago()} + interval '2 days' end,
             p.u[1 + g % array_length(p.u, 1)], p.u[1 + (g * 7) % array_length(p.u, 1)],
             case when g % 3 = 0 then array['urgent'] when g % 3 = 1 then array['planned', ${g(pick(CITIES, 'g / 7'))}] else '{}'::text[] end,
             ${t0} - ${ago()}, ${t0} - ${ago()}
        from p, generate_series(1, ${n}::int) g`);
    await x(sql`
      insert into operation_assignees (org_id, operation_id, user_id)
      select o.org_id, o.id, p.u[1 + (o.i * 13) % array_length(p.u, 1)]
        from (select id, org_id, row_number() over (order by created_at desc) as i from operations where org_id = ${org}) o, (select ${people} as u) p
       where o.i % 3 = 0`);
    const ops = sql`(select array_agg(id order by created_at desc) from operations where org_id = ${org})`;
    // Task g ≤ busy belongs to the newest operation; the rest spread over the 3,000 next ones.
    await x(sql`
      with s as (select ${ops} as o, ${people} as u)
      insert into operation_tasks (id, org_id, operation_id, title, assignee_id, due_at, status, checklist, position, created_at, updated_at)
      select ${id7}, ${org}, case when g <= ${busy} then s.o[1] else s.o[2 + g % least(3000, array_length(s.o, 1) - 1)] end,
             initcap(${g(pick(ACTIONS, 'g'))}) || ' ' || ${g(pick(WORDS, 'g / 8'))} || ' ' || g,
             case when g % 4 <> 0 then s.u[1 + g % array_length(s.u, 1)] end, ${t0} + (g % 60) * interval '1 day',
             (array['todo','todo','in_progress','done','done','cancelled'])[1 + g % 6],
             case when g % 5 = 0 then '[{"text": "Isolate the line", "done": true}, {"text": "Report", "done": false}]'::jsonb else '[]'::jsonb end,
             g, ${t0} - ${ago()}, ${t0} - ${ago()}
        from s, generate_series(1, ${n}::int) g`);
    await x(sql`
      insert into resources (id, org_id, name, kind, metadata, created_at, updated_at)
      select ${id7}, ${org},
             case g % 3 when 0 then ${g(pick(FIRST, 'g'))} || ' ' || ${g(pick(LAST, 'g / 25'))} when 1 then 'Van ' || upper(substr(md5(g::text), 1, 6)) else initcap(${g(pick(WORDS, 'g'))}) || ' kit ' || g end,
             (array['person','vehicle','equipment'])[1 + g % 3],
             jsonb_build_object('depot', ${g(pick(CITIES, 'g'))}), ${t0} - ${ago()}, ${t0} - ${ago()}
        from generate_series(1, ${n}::int) g`);
    // One-hour windows that never overlap (the exclusion constraint is per resource): allocation
    // g ≤ busy on the newest operation, every tenth on the busiest resource.
    await x(sql`
      with s as (select ${ops} as o, (select array_agg(id order by name, id) from resources where org_id = ${org}) as r)
      insert into resource_allocations (id, org_id, resource_id, operation_id, starts_at, ends_at, created_by, created_at)
      select ${id7}, ${org}, case when g % 10 = 0 then s.r[1] else s.r[2 + g % least(2000, array_length(s.r, 1) - 1)] end,
             case when g <= ${busy} then s.o[1] else s.o[2 + g % least(3000, array_length(s.o, 1) - 1)] end,
             ${t0} + g * interval '1 hour', ${t0} + g * interval '1 hour' + interval '50 minutes', ${adminId}::uuid, ${t0} - ${ago()}
        from s, generate_series(1, ${n}::int) g`);

    // Telemetry: devices, series (the first device by name has `busy` of them), alert rules, alarms.
    await x(sql`
      with s as (select ${ops} as o)
      insert into devices (id, org_id, name, type, operation_id, metadata, key_prefix, key_hash, last_seen_at, created_at, updated_at)
      select ${id7}, ${org}, (array['meter','sensor','gateway','tracker','camera'])[1 + g % 5] || '-' || ${g(pick(CITIES, 'g / 5'))} || '-' || lpad(g::text, 5, '0'),
             (array['meter','sensor','gateway','tracker','camera'])[1 + g % 5], case when g % 4 = 0 then s.o[1 + g % array_length(s.o, 1)] end,
             jsonb_build_object('firmware', '1.' || (g % 9)), substr(md5(${orgId} || g), 1, 12), md5('key' || ${orgId} || g),
             case when g % 6 <> 0 then ${t0} - (g % 3600) * interval '1 second' end, ${t0} - ${ago()}, ${t0} - ${ago()}
        from s, generate_series(1, ${n}::int) g`);
    await x(sql`
      with s as (select array_agg(id order by name, id) as d from devices where org_id = ${org})
      insert into telemetry_series (org_id, device_id, metric, unit, last_ts, last_value, created_at)
      select ${org}, case when g <= ${busy} then s.d[1] else s.d[2 + g % least(1000, array_length(s.d, 1) - 1)] end,
             (array['temperature','humidity','pressure','voltage','current','flow','level','vibration'])[1 + g % 8] || '.' || g,
             (array['°C','%','kPa','V','A','l/s','m','mm/s'])[1 + g % 8], ${t0} - (g % 600) * interval '1 second', (g % 1000) / 10.0, ${t0} - ${ago()}
        from s, generate_series(1, ${n}::int) g`);
    // No `no_data` or `anomaly` rules: their checks would run in the background during the measurements.
    await x(sql`
      insert into alert_rules (id, org_id, name, metric, kind, direction, threshold, duration_seconds, severity, enabled, created_by, created_at, updated_at)
      select ${id7}, ${org},
             initcap((array['temperature','humidity','pressure','voltage','current','flow','level','vibration'])[1 + g % 8]) || ' ' || (case when g % 2 = 0 then 'high' else 'low' end) || ' ' || ${g(pick(CITIES, 'g / 8'))} || ' ' || g,
             (array['temperature','humidity','pressure','voltage','current','flow','level','vibration'])[1 + g % 8] || '.' || g,
             case when g % 5 = 0 then 'rate_of_change' else 'threshold' end, case when g % 2 = 0 then 'above' else 'below' end, 10 + g % 90,
             (g % 4) * 60, (array['critical','major','minor','warning'])[1 + g % 4], g % 11 <> 0, ${adminId}::uuid, ${t0} - ${ago()}, ${t0} - ${ago()}
        from generate_series(1, ${n}::int) g`);
    await x(sql`
      with s as (select array_agg(id order by created_at) as r from alert_rules where org_id = ${org}), d as (select array_agg(id order by name) as d from devices where org_id = ${org})
      insert into alarms (id, org_id, rule_id, source, metric, severity, active, acknowledged, message, value, started_at, last_seen_at, cleared_at, acknowledged_at, acknowledged_by, created_at, updated_at)
      select ${id7}, ${org}, s.r[1 + g % array_length(s.r, 1)], 'device:' || d.d[1 + g % array_length(d.d, 1)],
             (array['temperature','humidity','pressure','voltage','current','flow','level','vibration'])[1 + g % 8],
             (array['critical','major','major','minor','warning'])[1 + g % 5], g % 10 < 3, g % 10 in (1, 5, 6, 7),
             'Value ' || (g % 200) || ' crossed the threshold', g % 200, ${t0} - ${ago()}, ${t0} - ${ago()} + interval '5 minutes',
             case when g % 10 >= 3 then ${t0} - ${ago()} + interval '30 minutes' end, case when g % 10 in (1, 5, 6, 7) then ${t0} - ${ago()} + interval '10 minutes' end,
             case when g % 10 in (1, 5, 6, 7) then ${adminId}::uuid end, ${t0} - ${ago()}, ${t0} - ${ago()}
        from s, d, generate_series(1, ${n}::int) g`);

    // Service desk: teams (3 members each for a tenth of them), tickets, replies, timeline, canned responses, ratings.
    await x(sql`
      with p as (select ${people} as u)
      insert into sd_teams (id, org_id, name, assignment, manager_id, created_at, updated_at)
      select ${id7}, ${org}, initcap(${g(pick(WORDS, 'g'))}) || ' ' || ${g(pick(CITIES, 'g / 12'))} || ' ' || g,
             (array['manual','round_robin','load_based'])[1 + g % 3], p.u[1 + g % array_length(p.u, 1)], ${t0} - ${ago()}, ${t0} - ${ago()}
        from p, generate_series(1, ${n}::int) g`);
    await x(sql`
      insert into sd_team_members (org_id, team_id, user_id, away, created_at)
      select t.org_id, t.id, p.u[1 + (t.i * 3 + k) % array_length(p.u, 1)], k = 2 and t.i % 4 = 0, ${t0}
        from (select id, org_id, row_number() over (order by created_at) as i from sd_teams where org_id = ${org}) t, (select ${people} as u) p, generate_series(0, 2) k
       where t.i % 10 = 0`);
    await x(sql`
      with p as (select ${people} as u), t as (select array_agg(id order by created_at) as t from sd_teams where org_id = ${org})
      insert into tickets (id, org_id, number, subject, description, status, priority, category, tags, team_id, assignee_id, channel, requester_name, requester_email, created_at, updated_at)
      select ${id7}, ${org}, ${n} + 1 - g,
             ${g(pick(SUBJECTS, 'g'))} || ' ' || ${g(pick(PROBLEMS, 'g / 12'))},
             'Since this morning the ' || lower(${g(pick(SUBJECTS, 'g'))}) || ' in ' || ${g(pick(CITIES, 'g / 5'))} || ' is ' || ${g(pick(PROBLEMS, 'g / 12'))} || '.',
             (array['new','open','open','pending_customer','on_hold','resolved','closed','closed'])[1 + g % 8],
             (array['low','medium','medium','high','urgent'])[1 + (g / 8) % 5],
             (array['hardware','software','network','access',null])[1 + g % 5], case when g % 4 = 0 then array['vip'] else '{}'::text[] end,
             case when g % 3 <> 0 then t.t[1 + g % least(20, array_length(t.t, 1))] end, case when g % 5 <> 0 then p.u[1 + g % 300] end,
             (array['web','email','email','phone','whatsapp'])[1 + g % 5], ${g(pick(FIRST, 'g / 3'))} || ' ' || ${g(pick(LAST, 'g / 7'))}, 'requester' || g || '@customer.test',
             ${t0} - ${ago()}, ${t0} - ${ago()} + interval '2 hours'
        from p, t, generate_series(1, ${n}::int) g`);
    await x(sql`insert into ticket_counters (org_id, last) values (${org}, ${n}) on conflict (org_id) do update set last = ${n}`);
    // Reply and timeline entry g ≤ busy belong to the newest ticket; the rest spread over the 3,000 next ones.
    const ticketsArray = sql`(select array_agg(id order by created_at desc) from tickets where org_id = ${org})`;
    await x(sql`
      with s as (select ${ticketsArray} as t, ${people} as u)
      insert into ticket_replies (id, org_id, ticket_id, author_type, author_user_id, body, is_internal, channel, created_at)
      select ${uuid7(sql`${t0} - interval '1 year' + g * interval '1 minute'`)}, ${org}, case when g <= ${busy} then s.t[1] else s.t[2 + g % least(3000, array_length(s.t, 1) - 1)] end,
             (array['agent','requester','agent','system'])[1 + g % 4], case when g % 4 in (0, 2) then s.u[1 + g % 300] end,
             'Thanks, we looked at the ' || lower(${g(pick(SUBJECTS, 'g'))}) || ': ' || ${g(pick(PROBLEMS, 'g / 3'))} || '. Reply ' || g || '.',
             g % 7 = 0, (array['web','email','phone'])[1 + g % 3], ${t0} - interval '1 year' + g * interval '1 minute'
        from s, generate_series(1, ${n}::int) g`);
    await x(sql`
      with s as (select ${ticketsArray} as t)
      insert into ticket_timeline (id, org_id, ticket_id, at, kind, data)
      select ${uuid7(sql`${t0} - interval '1 year' + g * interval '1 minute'`)}, ${org}, case when g <= ${busy} then s.t[1] else s.t[2 + g % least(3000, array_length(s.t, 1) - 1)] end,
             ${t0} - interval '1 year' + g * interval '1 minute', (array['status','priority','agent_reply','customer_reply','assigned'])[1 + g % 5],
             case g % 5 when 0 then '{"from": "new", "to": "open"}'::jsonb when 1 then '{"from": "medium", "to": "high"}'::jsonb else '{}'::jsonb end
        from s, generate_series(1, ${n}::int) g`);
    await x(sql`
      insert into canned_responses (id, org_id, title, body, created_by, created_at, updated_at)
      select ${id7}, ${org}, ${g(pick(SUBJECTS, 'g'))} || ' ' || ${g(pick(PROBLEMS, 'g / 12'))} || ' ' || g,
             'Hello {{requester.name}}, about your ' || lower(${g(pick(SUBJECTS, 'g'))}) || ': please restart it and tell us if the problem persists.',
             ${adminId}::uuid, ${t0} - ${ago()}, ${t0} - ${ago()}
        from generate_series(1, ${n}::int) g`);
    await x(sql`
      with p as (select ${people} as u)
      insert into agent_ratings (id, org_id, agent_id, rater_id, period, score, comment, created_at, updated_at)
      select ${id7}, ${org}, p.u[1 + (g - 1) / 10], ${adminId}::uuid, '2026-' || lpad((1 + (g - 1) % 10)::text, 2, '0'),
             1 + g % 5, (array['', 'Quick and clear', 'Needs to follow up sooner', 'Great with customers'])[1 + g % 4], ${t0} - ${ago()}, ${t0} - ${ago()}
        from p, generate_series(1, least(${n}, 10 * (array_length(p.u, 1) - 1))::int) g`);

    // Identity: roles (one or two grants each), API keys, sessions (`busy` of them the admin's), logs.
    await x(sql`
      insert into roles (id, org_id, name, display_name, description, is_system, created_at, updated_at)
      select ${id7}, ${org}, 'role-' || g, initcap(${g(pick(WORDS, 'g'))}) || ' ' || ${g(pick(ACTIONS, 'g / 12'))} || ' ' || g,
             'Crew for ' || ${g(pick(CITIES, 'g'))}, false, ${t0} - ${ago()}, ${t0} - ${ago()}
        from generate_series(1, ${n}::int) g`);
    await x(sql`
      insert into role_permissions (org_id, role_id, permission, condition)
      select r.org_id, r.id, p.permission, case when r.i % 3 = 0 then 'own' else 'any' end
        from (select id, org_id, row_number() over (order by name) as i from roles where org_id = ${org} and not is_system) r
        cross join lateral (values ('operations:read'), ('tickets:read')) p(permission)
       where p.permission = 'operations:read' or r.i % 2 = 0`);
    await x(sql`
      insert into api_keys (id, org_id, name, prefix, key_hash, permissions, created_by, created_at, last_used_at, expires_at, revoked_at)
      select ${id7}, ${org}, ${g(pick(`array['Billing export','Gateway','Sensor fleet','CI deploy','Dashboard','Backup']`, 'g'))} || ' ' || g,
             'imsop_' || substr(md5('prefix' || ${orgId} || g), 1, 10), md5('secret' || ${orgId} || g),
             case when g % 2 = 0 then array['telemetry:ingest'] else array['operations:read', 'tickets:read'] end, ${adminId}::uuid,
             ${t0} - ${ago()}, case when g % 3 <> 0 then ${t0} - (g % 1000) * interval '1 minute' end,
             case when g % 4 = 0 then ${t0} + interval '90 days' end, case when g % 9 = 0 then ${t0} - interval '1 day' end
        from generate_series(1, ${n}::int) g`);
    await x(sql`
      with p as (select ${people} as u)
      insert into user_sessions (id, org_id, user_id, ip, user_agent, created_at, last_activity_at, expires_at)
      select ${id7}, ${org}, case when g <= ${busy} then ${adminId}::uuid else p.u[1 + g % array_length(p.u, 1)] end,
             '10.' || (g % 250) || '.' || (g / 250 % 250) || '.7', ${g(pick(`array['Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0','Mozilla/5.0 (Macintosh) Safari/605.1','imsop-cli/1.4','Mozilla/5.0 (Windows NT 10.0) Chrome/131.0']`, 'g'))},
             ${t0} - (g % 5000) * interval '1 minute', ${t0} - (g % 700) * interval '1 minute', ${t0} + interval '20 days'
        from p, generate_series(1, ${n}::int) g`);
    await x(sql`
      with p as (select ${people} as u), m as (select coalesce(max(seq), 0) as s from audit_logs where org_id = ${org})
      insert into audit_logs (id, org_id, seq, actor_type, actor_id, action, entity_type, entity_id, changes, ip, user_agent, request_id, created_at, prev_hash, hash)
      select ${uuid7(sql`${t0} - (${n} - g) * interval '53 minutes'`)}, ${org}, m.s + g, 'user', p.u[1 + g % 50],
             (array['operation.update','ticket.update','user.update','ticket.create','device.create','role.update'])[1 + g % 6],
             (array['operation','ticket','user','ticket','device','role'])[1 + g % 6], gen_random_uuid()::text,
             jsonb_build_object('before', jsonb_build_object('status', 'open'), 'after', jsonb_build_object('status', 'resolved')),
             '10.0.' || (g % 250) || '.9', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0', gen_random_uuid()::text,
             ${t0} - (${n} - g) * interval '53 minutes', md5('prev' || g), md5('hash' || g)
        from p, m, generate_series(1, ${n}::int) g`);
    await x(sql`
      with p as (select ${people} as u)
      insert into activity_logs (id, org_id, user_id, action, ip, user_agent, details, created_at)
      select ${id7}, ${org}, p.u[1 + g % array_length(p.u, 1)],
             (array['login','login','logout','refresh','password.change','mfa.verify','login.failed'])[1 + g % 7],
             '10.1.' || (g % 250) || '.3', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0', jsonb_build_object('method', 'password'), ${t0} - ${ago()}
        from p, generate_series(1, ${n}::int) g`);
    await x(sql`
      with s as (select coalesce(array_agg(name order by name), array['bench.subscription']) as s from event_subscriptions),
           e as (select coalesce(max(event_id), 1000000000) as e from event_dead_letters)
      insert into event_dead_letters (id, org_id, subscription, event_id, event_type, topic, payload, event_created_at, attempts, last_error, status, dead_at, replayed_at, created_at)
      select ${id7}, ${org}, s.s[1 + g % array_length(s.s, 1)], e.e + g,
             (array['ticket.created','ticket.breached','operation.updated','alarm.raised'])[1 + g % 4], 'ticket:' || gen_random_uuid(),
             jsonb_build_object('ticketId', gen_random_uuid(), 'number', g), ${t0} - ${ago()} - interval '1 hour', 5,
             (array['connect ECONNREFUSED 127.0.0.1:25','timeout after 10000 ms','webhook answered 500'])[1 + g % 3],
             case when g % 4 = 0 then 'replayed' else 'dead' end, ${t0} - ${ago()}, case when g % 4 = 0 then ${t0} - ${ago()} + interval '1 day' end, ${t0} - ${ago()}
        from s, e, generate_series(1, ${n}::int) g`);
  });
}

/** SLA calendars and policies are cloned from one of each made through the API (valid documents). */
async function cloneSlaSetup(app: FastifyInstance, database: Database, token: string, orgId: string, n: number) {
  const targets = { firstResponse: 240, nextResponse: 480, resolution: 2400 };
  const { calendarId } = await createDefaultSla(
    app,
    token,
    { name: 'Lisbon office', timeZone: 'Europe/Lisbon', weeklyHours: weekdays([['09:00', '12:30'], ['13:30', '18:00']]), holidays: [{ date: '2026-12-25', name: 'Christmas' }, { date: '2027-01-01' }] },
    { low: targets, medium: targets, high: { ...targets, resolution: 960 }, urgent: { firstResponse: 30, resolution: 240 } },
  );
  const base = new Date();
  await database.db.transaction(async (tx) => {
    await tx.execute(sql`
      insert into sla_calendars (id, org_id, name, time_zone, weekly, holidays, team_id, created_at, updated_at)
      select ${uuid7(sql`${base.toISOString()}::timestamptz - g * interval '1 minute'`)}, c.org_id, ${sql.raw(pick(CITIES, 'g'))} || ' hours ' || g, (array['Europe/Lisbon','Europe/Madrid','Europe/London','America/New_York'])[1 + g % 4],
             c.weekly, c.holidays, null, ${base.toISOString()}::timestamptz - g * interval '1 minute', ${base.toISOString()}::timestamptz
        from sla_calendars c, generate_series(1, ${n - 1}::int) g where c.id = ${calendarId}::uuid`);
    await tx.execute(sql`
      insert into sla_policies (id, org_id, name, position, is_default, conditions, targets, warnings, escalations, calendar_id, created_at, updated_at)
      select ${uuid7(sql`${base.toISOString()}::timestamptz - g * interval '1 minute'`)}, p.org_id, ${sql.raw(pick(SUBJECTS, 'g'))} || ' ' || (array['gold','silver','bronze'])[1 + g % 3] || ' ' || g, g, false,
             jsonb_build_object('priority', jsonb_build_array((array['low','medium','high','urgent'])[1 + g % 4])), p.targets, p.warnings, p.escalations, p.calendar_id,
             ${base.toISOString()}::timestamptz - g * interval '1 minute', ${base.toISOString()}::timestamptz
        from sla_policies p, generate_series(1, ${n - 1}::int) g where p.org_id = ${orgId}::uuid and p.is_default`);
  });
}

/** The users page three ways: what the route selects, each row as one JSON value, the page as one JSON value. */
const USERS_COLUMNS = `id, org_id, email, name, department, phone, is_active, two_factor_enabled, last_login, created_at, updated_at, deleted_at, metadata`;
const USERS_ROLES = `coalesce((select json_agg(json_build_object('id', r.id, 'name', r.name) order by r.name, r.id)
                      from user_roles ur join roles r on r.id = ur.role_id where ur.user_id = users.id and ur.org_id = users.org_id), '[]')`;
const USERS_WHERE = `from users where org_id = $1 and deleted_at is null order by created_at desc, id desc limit 51`;
const USERS_JSON = `json_build_object('id', id, 'orgId', org_id, 'email', email, 'name', name, 'department', department, 'phone', phone,
  'isActive', is_active, 'twoFactorEnabled', two_factor_enabled, 'lastLogin', last_login, 'createdAt', created_at, 'updatedAt', updated_at,
  'deletedAt', deleted_at, 'metadata', metadata, 'roles', ${USERS_ROLES})`;
export const ROW_SHAPES: Record<string, string> = {
  'users page, 14 columns a row (as the route)': `select ${USERS_COLUMNS}, ${USERS_ROLES} as roles ${USERS_WHERE}`,
  'users page, one JSON column a row': `select ${USERS_JSON} as row ${USERS_WHERE}`,
  'users page, one JSON value for the page': `select json_agg(p.row) from (select ${USERS_JSON} as row ${USERS_WHERE}) p`,
  'operations page, 21 columns a row (as the route)': `select * from operations where org_id = $1 order by created_at desc, id desc limit 51`,
  'operations page, one JSON column a row': `select to_json(o) as row from (select * from operations where org_id = $1 order by created_at desc, id desc limit 51) o`,
};

export function listsCommands(database: Database, app: FastifyInstance, token: string, orgId: string, adminId: string): Commands {
  return {
    /**
     * The cost of a result's shape on the database client alone (no HTTP, no mapping): each of
     * ROW_SHAPES run `times` times in turn through the app's own client (PGlite: one connection),
     * answering the median and p95 ms per statement.
     */
    rowShapes: async (args) => {
      const times = Number(args.times ?? 200);
      const client = (database.db as unknown as { $client: { query(text: string, params: unknown[]): Promise<{ rows: unknown[] }> } }).$client;
      const samples: Record<string, number[]> = Object.fromEntries(Object.keys(ROW_SHAPES).map((k) => [k, []]));
      for (let i = 0; i < times; i++) {
        for (const [name, text] of Object.entries(ROW_SHAPES)) {
          const t = performance.now();
          const { rows } = await client.query(text, [orgId]);
          if (rows.length === 0) throw new Error(`${name}: no rows`);
          samples[name]!.push(performance.now() - t);
        }
      }
      const at = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
      return Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, { p50: at(xs, 50), p95: at(xs, 95) }]));
    },
    /** Seeds the admin's org with `rows` of each kind, a second org with `otherRows`, and `rows` organizations. */
    seedLists: async (args) => {
      const started = performance.now();
      const rows = Number(args.rows ?? 10_000);
      const otherRows = Number(args.otherRows ?? 2_000);
      const busy = Math.round(rows / 10);
      const passwordHash = await hashPassword('Sturdy-Bench-Password-42');
      const base = new Date(Math.floor(Date.now() / 1000) * 1000);
      const other = await app.inject({
        method: 'POST',
        url: '/api/organizations',
        headers: { authorization: `Bearer ${token}` },
        payload: { name: 'Other Org', slug: 'other-org', admin: { email: 'admin@other.test', name: 'Other Admin', password: 'Another-Quiet-Harbour-88' } },
      });
      if (other.statusCode !== 201 && other.statusCode !== 200) throw new Error(`second org: ${other.statusCode} ${other.body}`);
      const { org: otherOrg, adminId: otherAdminId } = other.json() as { org: { id: string }; adminId: string };
      const otherOrgId = otherOrg.id;
      // The second org's rows share the first org's time range: they interleave in every index that does not lead with the org.
      // The SLA set-up before the tickets: creating the default policy recalculates every open
      // ticket, and seeded tickets with SLA clocks would all be long breached, which would keep the
      // SLA scheduler busy (firings, escalations, notifications) during the measurements.
      await cloneSlaSetup(app, database, token, orgId, rows);
      await seedOrg(database, otherOrgId, otherAdminId, otherRows, Math.round(otherRows / 10), base, passwordHash);
      await seedOrg(database, orgId, adminId, rows, busy, base, passwordHash);
      await database.db.execute(sql`
        insert into organizations (id, name, slug, settings, created_at, updated_at)
        select ${uuid7(sql`${base.toISOString()}::timestamptz - g * interval '1 hour'`)}, ${sql.raw(pick(CITIES, 'g'))} || ' ' || ${sql.raw(pick(WORDS, 'g / 12'))} || ' utility ' || g, 'org-' || g, '{}'::jsonb,
               ${base.toISOString()}::timestamptz - g * interval '1 hour', ${base.toISOString()}::timestamptz
          from generate_series(1, ${rows - 2}::int) g`);
      await database.db.execute(sql`analyze`);
      const one = async (q: SQL) => (await queryRows<{ id: string }>(database.db, q))[0]!.id;
      const ids: SeededIds = {
        orgId,
        otherOrgId,
        busyOperationId: await one(sql`select id from operations where org_id = ${orgId}::uuid order by created_at desc limit 1`),
        busyTicketId: await one(sql`select id from tickets where org_id = ${orgId}::uuid order by created_at desc limit 1`),
        busyResourceId: await one(sql`select id from resources where org_id = ${orgId}::uuid order by name, id limit 1`),
        busyDeviceId: await one(sql`select id from devices where org_id = ${orgId}::uuid order by name limit 1`),
        userId: await one(sql`select id from users where org_id = ${orgId}::uuid and id <> ${adminId}::uuid order by created_at desc limit 1`),
        seconds: (performance.now() - started) / 1000,
      };
      return ids;
    },
  };
}
