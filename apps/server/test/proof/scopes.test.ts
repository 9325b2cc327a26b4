/**
 * The isolation walker inside one org: the records of another department, or of other people, are
 * to a department- or own-scoped actor what another org's records are to everyone. One org holds
 * north and south data (proof/scoped-world.ts); a north agent (`agent`), a north manager
 * (`manager`) and an own-scoped actor (a custom role) walk every route of the OpenAPI document:
 *
 * - every route with path parameters, with ids of records out of the actor's reach: 404 (403 where
 *   the actor lacks the route's permission as a whole, or may read the record but not change it);
 *   mutations change nothing;
 * - every list (and every route read with in-reach ids): no out-of-reach record's id, email or text;
 * - every realtime topic, live and replayed from event 0: no event about an out-of-reach record;
 * - every file download route: out-of-reach files are not downloadable, before and after the
 *   actor has sent out-of-reach ids in the bodies of every route that takes them.
 *
 * Routes and topics come from the document and the modules; a route the fixtures cannot fill fails
 * with what to declare in the module's proof seed (`<module>.proof.ts`) or add to proof/scoped-world.ts.
 */
import crypto from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, type TestApp } from '../helpers.ts';
import { loadDocument, operationsOf, responseChecker, urlOf, type ApiOperation } from './openapi.ts';
import { createScopedWorld, type Actor, type Kind, type Rec, type ScopedWorld } from './scoped-world.ts';
import { bodyFor, caller, differences, idFor, isUuid, listen, queryOf, show, snapshot, type RealtimeMessage } from './walk.ts';
import { pathValues, queryIdValue, type World } from './world.ts';
import type { JsonSchema } from './openapi.ts';

const t: TestApp = await createTestApp();
const doc = await loadDocument(t);
const ops = operationsOf(doc);
const check = responseChecker(doc);
afterAll(async () => t.close());

let W: ScopedWorld;
let requests = 0;
const call = caller(t, () => requests++);

beforeAll(async () => {
  W = await createScopedWorld(t);
}, 60_000);

const gets = ops.filter((o) => o.method === 'GET');
const ORG_CREDENTIALS = ['bearer', 'apiKey'];
/** Provider webhooks: only the provider's credential opens them; no actor of the org is involved. */
const providerOnly = (op: ApiOperation) =>
  op.permission === 'public' && (op.security?.length ?? 0) > 0 && op.security!.every((s) => Object.keys(s as object).every((k) => !ORG_CREDENTIALS.includes(k)));
/** Whether the actor holds the route's permission at all (`authenticated` and `public` routes: always). */
const holds = (a: Actor, op: ApiOperation) => op.permission === 'authenticated' || op.permission === 'public' || (op.permission ?? '') in a.permissions;
/**
 * Lists that show the org's whole record by design, for holders of their permission at `any`:
 * the audit trail (audit:read has no per-record meaning) and the activity log (docs/roles.md).
 */
const wholeOrgByDesign = (a: Actor, op: ApiOperation) => op.permission === 'audit:read' || (op.permission === 'activity:read' && a.permissions['activity:read'] === 'any');

/** The kind a value of `w` names (the scoped kinds' ids are distinct in each world). */
function kindOf(w: World, value: string): Kind | undefined {
  return (Object.entries(w.ids) as [Kind, string][]).find(([, id]) => id === value)?.[0];
}
/** Records of a kind (files of every sort count as files). */
const ofKind = (recs: Rec[], kind: Kind) => recs.filter((r) => r.kind === kind || (kind === 'file' && (r.kind === 'replyFile' || r.kind === 'looseFile')));
const labelOf = (id: string) => W.records.find((r) => r.id === id)?.label ?? id;

interface Probe {
  url: string;
  /** The out-of-reach records the URL names. */
  names: string[];
  /** Whether the actor may at least read every record named (then a change is refused with 403). */
  readable: boolean;
}

/**
 * The URLs that put out-of-reach records of `kinds` into an operation's path: each outside
 * world's ids, each other out-of-reach record of the same kind in their place, and (for nested
 * routes) the actor's own parent with an out-of-reach child.
 */
function probes(op: ApiOperation, a: Actor, kinds: Kind[], missing: string[]): Probe[] {
  const inside = pathValues(op, a.inside);
  if ('missing' in inside) {
    missing.push(inside.missing);
    return [];
  }
  const seen = new Map<string, Probe>();
  for (const o of a.outside) {
    const out = pathValues(op, o);
    if ('missing' in out) {
      missing.push(out.missing);
      continue;
    }
    for (const p of op.pathParams) {
      const kind = kindOf(o, out.values[p.name]!);
      if (!kind || !kinds.includes(kind)) continue;
      const candidates = new Set([out.values[p.name]!, ...ofKind(a.outOfScope, kind).map((r) => r.id)]);
      for (const c of candidates) {
        const bases = op.pathParams.length > 1 ? [out.values, inside.values] : [out.values];
        for (const b of bases) {
          const values = { ...b, [p.name]: c };
          const url = urlOf(op.path, values, queryOf(op, a.inside));
          const names = Object.values(values).filter((v) => a.outOfScope.some((r) => r.id === v) || (v === out.values[p.name] && kinds.includes(kind)));
          const readable = Object.entries(values).every(([name, v]) => {
            const k = kindOf(o, v) ?? kindOf(a.inside, v) ?? W.records.find((r) => r.id === v)?.kind;
            return !k || !a.readScoped.includes(k === 'replyFile' || k === 'looseFile' ? 'file' : (k as Kind)) || v === inside.values[name];
          });
          seen.set(url, { url, names, readable });
        }
      }
    }
  }
  return [...seen.values()];
}

/** Every out-of-reach record `body` (an answer) shows: by id (not for users, whose ids in-reach records reference) or by its text. */
function leaks(a: Actor, body: string, url: string): string[] {
  const out: string[] = [];
  for (const r of a.outOfScope) {
    const hits = [...(r.kind === 'user' ? [] : [r.id]), ...r.markers].filter((s) => body.includes(s) && !url.includes(s));
    if (hits.length) out.push(`${r.label} (${hits.join(', ')})`);
  }
  return out;
}

/** Every list, and every GET with in-reach ids in its path, as `a`; filters set to out-of-reach ids too. */
async function readAll(a: Actor, token: string) {
  const answers: { op: ApiOperation; url: string; res: LightMyRequestResponse }[] = [];
  for (const op of gets.filter((o) => !providerOnly(o))) {
    const filled = pathValues(op, a.inside);
    if ('missing' in filled) continue;
    const queries = new Set([queryOf(op, a.inside)]);
    for (const o of a.outside) {
      for (const p of op.queryParams.filter((q) => !q.required && queryIdValue(q.name, o))) queries.add(queryOf(op, a.inside, [[p.name, queryIdValue(p.name, o)!]]));
    }
    if (op.queryParams.some((p) => p.name === 'limit')) queries.add(queryOf(op, a.inside, [['limit', '200']]));
    for (const q of queries) {
      const url = urlOf(op.path, filled.values, q);
      answers.push({ op, url, res: await call(op, url, bearer(token), a.inside) });
    }
  }
  return answers;
}

const randomIds = (url: string, names: string[]) => names.reduce((u, id) => u.split(id).join(crypto.randomUUID()), url);
/**
 * A 403 where a 404 was expected is the route refusing the request whole (for a permission the
 * actor lacks) when the same request naming records that exist nowhere gets the same 403: the
 * answer then says nothing about the record.
 */
async function refusedWhole(op: ApiOperation, a: Actor, p: Probe, res: LightMyRequestResponse, body?: unknown): Promise<boolean> {
  if (res.statusCode !== 403) return false;
  const again = await call(op, randomIds(p.url, p.names), bearer(a.token), a.inside, body);
  return again.statusCode === 403 && (again.json() as { code?: string }).code === (res.json() as { code?: string }).code;
}

/** Records out of reach that a read with their id answers (404 expected; 403 where the route is refused whole). */
async function readOutOfScope(a: Actor): Promise<{ failures: string[]; probed: number }> {
  const failures: string[] = [];
  const missing: string[] = [];
  let probed = 0;
  for (const op of gets.filter((o) => o.pathParams.length && !providerOnly(o))) {
    const expected = holds(a, op) ? 404 : 403;
    for (const p of probes(op, a, a.readScoped, missing)) {
      const res = await call(op, p.url, bearer(a.token), a.inside);
      probed++;
      if (res.statusCode !== expected && !(expected === 404 && (await refusedWhole(op, a, p, res)))) failures.push(`${a.name}: ${op.key} with ${p.names.map(labelOf).join(' + ')}: expected ${expected}, got ${show(op, p.url, res)}`);
      else {
        const verdict = check(op, res);
        if (!verdict.ok) failures.push(`${a.name}: ${op.key}: ${verdict.reason}`);
      }
    }
  }
  expect(missing, 'route parameters the fixtures cannot fill: declare the entity in the module’s proof seed (and its scoped variant in proof/scoped-world.ts)').toEqual([]);
  return { failures, probed };
}

/** Fails with every finding on its own line (vitest would cut a long array short). */
function expectNone(findings: string[], what = 'findings') {
  const unique = [...new Set(findings)];
  if (unique.length) throw new Error(`${unique.length} ${what}:\n  ${unique.join('\n  ')}`);
}

const actor = (name: Actor['name']) => W.actors.find((a) => a.name === name)!;
const ACTORS: Actor['name'][] = ['northAgent', 'northManager', 'ownActor'];

describe('the scoped fixtures are real', () => {
  it('every actor reads the records in its reach, by their own routes (so the 404s below mean something)', async () => {
    const failures: string[] = [];
    for (const a of W.actors) {
      for (const r of a.inScope) {
        const url =
          r.kind === 'user' ? `/api/users/${r.id}` :
          r.kind === 'ticket' ? `/api/tickets/${r.id}` :
          r.kind === 'operation' ? `/api/operations/${r.id}` :
          ['file', 'replyFile', 'looseFile'].includes(r.kind) ? `/api/files/${r.id}` :
          r.kind === 'rating' ? '/api/servicedesk/ratings' :
          r.kind === 'task' ? `/api/operations/${a.inside.ids.operation}/tasks` : null;
        if (!url) continue;
        const res = await t.inject({ method: 'GET', url, headers: bearer(a.token) });
        if (res.statusCode !== 200 || (!url.includes(r.id) && !res.body.includes(r.id))) failures.push(`${a.name} cannot read ${r.label}: GET ${url} → ${res.statusCode} ${res.body.slice(0, 200)}`);
      }
    }
    expectNone(failures);
  });

  it('the actors hold the grants the walk assumes', () => {
    expect(actor('northAgent').permissions).toMatchObject({ 'users:read': 'department', 'tickets:read': 'department', 'operations:update': 'own', 'servicedesk:analytics': 'own' });
    expect(actor('northManager').permissions).toMatchObject({ 'users:read': 'any', 'tickets:read': 'department', 'servicedesk:analytics': 'department', 'users:update': 'department' });
    expect(actor('ownActor').permissions).toMatchObject({ 'users:read': 'own', 'operations:read': 'own', 'tickets:read': 'own', 'servicedesk:analytics': 'own' });
  });
});

describe('reads with out-of-reach ids', () => {
  for (const name of ACTORS) {
    it(`${name}: every GET with an out-of-reach record in its path answers 404 (403 where the route is refused whole)`, async () => {
      const { failures, probed } = await readOutOfScope(actor(name));
      expectNone(failures);
      expect(probed).toBeGreaterThan(8);
    });
  }
});

describe('lists and in-reach reads never show out-of-reach records', () => {
  for (const name of ACTORS) {
    it(`${name}: no out-of-reach id, email or text in any answer, filtered by out-of-reach ids or not`, async () => {
      const a = actor(name);
      const failures: string[] = [];
      const answers = await readAll(a, a.token);
      for (const { op, url, res } of answers) {
        if (res.statusCode >= 500) failures.push(`${a.name}: 5xx: ${show(op, url, res)}`);
        if (wholeOrgByDesign(a, op)) continue;
        for (const l of leaks(a, res.body, url)) failures.push(`${a.name}: ${op.method} ${url} shows ${l}`);
      }
      expectNone(failures);
      expect(answers.filter((x) => x.res.statusCode === 200).length).toBeGreaterThan(15);
      // The same walk by the org's admin shows the records (so the check above can fail).
      const admin = (await readAll(a, W.org.token)).map((x) => x.res.body).join('\n');
      const unseen = a.outOfScope.filter((r) => r.kind !== 'session' && leaks({ ...a, outOfScope: [r] }, admin, '').length === 0).map((r) => r.label);
      expect(unseen, 'out-of-reach records the admin’s walk does not show either').toEqual([]);
    });
  }
});

describe('file downloads', () => {
  it('every download route refuses every out-of-reach file, whoever uploaded it and whatever it hangs off', async () => {
    const namesFile = (o: ApiOperation) => {
      const filled = pathValues(o, W.north);
      return 'values' in filled && Object.values(filled.values).some((v) => kindOf(W.north, v) === 'file');
    };
    const downloads = gets.filter((o) => (o.responseMedia['200'] ?? []).some((m) => m !== 'application/json') && namesFile(o));
    expect(downloads.map((o) => o.key)).toEqual(expect.arrayContaining(['GET /api/files/{id}', 'GET /api/portal/tickets/{id}/files/{fileId}']));
    const failures: string[] = [];
    for (const a of W.actors) {
      const files = ofKind(a.outOfScope, 'file');
      expect(files.length).toBeGreaterThan(2);
      for (const op of downloads) {
        const missing: string[] = [];
        const tried = probes(op, a, ['file'], missing);
        for (const f of files) expect(tried.some((p) => p.url.includes(f.id)), `${op.key} tries ${f.label}`).toBe(true);
        for (const p of tried) {
          const res = await call(op, p.url, bearer(a.token), a.inside);
          if (res.statusCode !== 404) failures.push(`${a.name} downloads ${p.names.map(labelOf).join(' + ')}: ${show(op, p.url, res)}`);
        }
      }
    }
    expectNone(failures);
  });
});

// ---------------------------------------------------------------------------------------------
// Realtime

const platformTopics = () => Object.values(t.app.platform).flatMap((m) => (m as { topics?: { pattern: RegExp }[] })?.topics ?? []);
/** A topic family's kind in the fixtures: the kind of the same name (`operation:<id>` → operation), as the isolation walker reads it. */
const topicKind = (family: string): Kind | undefined => (family in W.base.ids ? (family as Kind) : undefined);

describe('realtime topics', () => {
  it('every topic, live and replayed from event 0: no event about an out-of-reach record; out-of-reach entity topics answer not_found', async () => {
    const rules = platformTopics();
    const families = rules.map((r) => /^\^([a-z_-]+):\(/.exec(r.pattern.source)?.[1]).filter((x): x is string => Boolean(x));
    const plain = rules.map((r) => /^\^([a-z_-]+)\$$/.exec(r.pattern.source)?.[1]).filter((x): x is string => Boolean(x));
    expect(plain.length).toBeGreaterThan(2);
    for (const f of families) expect(topicKind(f), `a kind "${f}" (for topic ${f}:<id>) in a module’s proof seed`).toBeDefined();

    const failures: string[] = [];
    type Client = Awaited<ReturnType<typeof listen>>;
    const clients: { a: Actor; how: string; c: Client }[] = [];
    for (const a of W.actors) {
      // Live, replay per subscription, replay for the whole connection.
      for (const [how, query, since] of [
        ['live', `access_token=${a.token}`, undefined],
        ['replay since=0', `access_token=${a.token}`, 0],
        ['replay ?since=0', `access_token=${a.token}&since=0`, undefined],
      ] as const) {
        const c = await listen(t, query);
        await c.waitFor((m) => m.type === 'ready');
        for (const topic of plain) {
          c.send(since === undefined ? { type: 'subscribe', topic } : { type: 'subscribe', topic, since });
          const answer = await c.waitFor((m) => m.topic === topic && (m.type === 'subscribed' || m.type === 'error'));
          if (answer.type === 'error' && answer.code !== 'forbidden') failures.push(`${a.name} ${how}: subscribing to ${topic}: ${JSON.stringify(answer)}`);
        }
        // Entity topics of out-of-reach records: not_found (forbidden without the permission at all).
        for (const f of families) {
          const kind = topicKind(f)!;
          if (!a.readScoped.includes(kind)) continue;
          for (const r of ofKind(a.outOfScope, kind)) {
            const topic = `${f}:${r.id}`;
            c.send(since === undefined ? { type: 'subscribe', topic } : { type: 'subscribe', topic, since });
            const answer = await c.waitFor((m) => m.topic === topic && (m.type === 'subscribed' || m.type === 'error'));
            if (answer.type !== 'error' || !['not_found', 'forbidden'].includes(answer.code ?? '')) failures.push(`${a.name} ${how}: subscribed to ${topic} (${r.label}): ${JSON.stringify(answer)}`);
          }
        }
        clients.push({ a, how, c });
      }
    }

    // The admin changes every department's records; then a change in each actor's reach marks the end.
    const admin = bearer(W.org.token);
    for (const w of [W.north, W.south, W.own]) {
      await t.inject({ method: 'PATCH', url: `/api/tickets/${w.ids.ticket}`, headers: admin, payload: { priority: 'high' } });
      await t.inject({ method: 'POST', url: `/api/tickets/${w.ids.ticket}/replies`, headers: admin, payload: { body: 'touched', isInternal: true } });
      const op = (await t.inject({ method: 'GET', url: `/api/operations/${w.ids.operation}`, headers: admin })).json() as { description: string };
      await t.inject({ method: 'PATCH', url: `/api/operations/${w.ids.operation}`, headers: admin, payload: { description: op.description, priority: 'high' } });
      await t.inject({ method: 'PATCH', url: `/api/operations/${w.ids.operation}/tasks/${w.ids.task}`, headers: admin, payload: { status: 'in_progress' } });
    }
    const endMark = `end-of-walk-${Date.now()}`;
    for (const w of new Set(W.actors.map((a) => a.inside))) {
      const res = await t.inject({ method: 'PATCH', url: `/api/tickets/${w.ids.ticket}`, headers: admin, payload: { tags: [endMark] } });
      expect(res.statusCode, res.body).toBe(200);
    }
    for (const { a, how, c } of clients) {
      await c.waitFor((m) => m.type === 'event' && m.topic === 'tickets' && JSON.stringify(m.data).includes(endMark), 10_000).catch(() => {
        failures.push(`${a.name} ${how}: never heard the change of ${a.inside.ids.ticket} (a ticket in reach) on "tickets"`);
      });
    }
    await new Promise((r) => setTimeout(r, 200));
    for (const { a, how, c } of clients) {
      c.ws.close();
      for (const m of c.messages.filter((x: RealtimeMessage) => x.type === 'event' || x.type === 'presence')) {
        for (const l of leaks(a, JSON.stringify(m), '')) failures.push(`${a.name} ${how}: topic "${m.topic}" event ${(m as { event?: string }).event ?? m.type} #${m.id ?? ''} carries ${l}`);
      }
    }
    expectNone(failures);

    // The admin's replay of the same topics carries those records (so the check above can fail).
    const c = await listen(t, `access_token=${W.org.token}&since=0`);
    for (const topic of plain) c.send({ type: 'subscribe', topic });
    await c.waitFor((m) => m.type === 'event' && JSON.stringify(m.data).includes(W.south.ids.ticket));
    await new Promise((r) => setTimeout(r, 300));
    c.ws.close();
    const everything = JSON.stringify(c.messages);
    for (const id of [W.south.ids.ticket, W.south.ids.operation, W.north.ids.operation]) expect(everything, labelOf(id)).toContain(id);
  });
});

// ---------------------------------------------------------------------------------------------
// Changes

describe('changes with out-of-reach ids', () => {
  for (const name of ACTORS) {
    it(`${name}: every change with an out-of-reach record in its path is refused (404, or 403 where the record is readable or the route refused whole) and changes nothing`, async () => {
      const a = actor(name);
      const worlds = [W.north, W.south, W.own];
      const [s1, s2] = [await snapshot(t, gets, worlds, W.org.token), await snapshot(t, gets, worlds, W.org.token)];
      const failures: string[] = [];
      const missing: string[] = [];
      let probed = 0;
      // Deletions last, so that a deletion let through does not hide the other routes' answers.
      const changes = ops.filter((o) => o.method !== 'GET' && o.pathParams.length && !providerOnly(o) && o.permission !== 'platform_admin');
      changes.sort((x, y) => Number(x.method === 'DELETE') - Number(y.method === 'DELETE'));
      for (const op of changes) {
        for (const p of probes(op, a, a.writeScoped, missing)) {
          const expected = !holds(a, op) ? [403] : op.permission === 'public' ? [404] : p.readable ? [403, 404] : [404];
          // The body names records in reach: the path alone is out of reach.
          const body = bodyFor(op, a.inside);
          const res = await call(op, p.url, bearer(a.token), a.inside, body);
          probed++;
          if (!expected.includes(res.statusCode) && !(await refusedWhole(op, a, p, res, body))) failures.push(`${a.name}: ${op.key} on ${p.names.map(labelOf).join(' + ')}: expected ${expected.join(' or ')}, got ${show(op, p.url, res)}`);
          else {
            const verdict = check(op, res);
            if (!verdict.ok) failures.push(`${a.name}: ${op.key}: ${verdict.reason}`);
          }
        }
      }
      expect(missing, 'route parameters the fixtures cannot fill').toEqual([]);
      expect(probed).toBeGreaterThan(10);
      const changed = differences(s1, s2, await snapshot(t, gets, worlds, W.org.token));
      expectNone([...failures, ...changed.map((d) => `${a.name}'s refused changes changed ${d}`)]);
    });
  }
});

describe('out-of-reach ids in the bodies of in-reach changes', () => {
  for (const name of ACTORS) {
    it(`${name}: sending out-of-reach ids in every body (attachments, merges, assignees…) never makes an out-of-reach record readable or changes it`, async () => {
      const a = actor(name);
      // The outside worlds' records themselves (lists filtered by their ids do change: in-reach records may name them).
      const worlds = a.outside;
      const [s1, s2] = [await snapshot(t, gets, worlds, W.org.token, false), await snapshot(t, gets, worlds, W.org.token, false)];
      const failures: string[] = [];
      const accepted: string[] = [];
      const fields = (op: ApiOperation) =>
        Object.entries((op.body?.properties ?? {}) as Record<string, JsonSchema>)
          .filter(([, s]) => isUuid(s))
          .map(([k]) => k);
      let probed = 0;
      for (const op of ops.filter((o) => o.method !== 'GET' && o.method !== 'DELETE' && !providerOnly(o) && o.permission !== 'platform_admin')) {
        const filled = pathValues(op, a.inside);
        if ('missing' in filled) continue;
        for (const field of fields(op)) {
          const kind = kindOf(a.inside, idFor(a.inside, op, field) ?? '');
          if (!kind || !a.readScoped.includes(kind)) continue;
          for (const r of ofKind(a.outOfScope, kind)) {
            const body = bodyFor(op, a.inside, true, (k) => (k === field ? r.id : idFor(a.inside, op, k)));
            const url = urlOf(op.path, filled.values, queryOf(op, a.inside));
            const res = await call(op, url, bearer(a.token), a.inside, body);
            probed++;
            if (res.statusCode >= 500) failures.push(`${a.name}: 5xx: ${show(op, url, res)}`);
            if (res.statusCode < 300) accepted.push(`${op.key} ${field}=${r.label} → ${res.statusCode}`);
            // (An answer may name the ids it was sent.)
            for (const l of leaks(a, res.body, JSON.stringify(body))) failures.push(`${a.name}: ${show(op, url, res)} shows ${l}`);
          }
        }
      }
      expect(probed).toBeGreaterThan(3);
      if (accepted.length) console.info(`[proof/scopes] ${a.name}: changes that took out-of-reach ids:\n  ${accepted.join('\n  ')}`);
      // Whatever was accepted, nothing out of reach became readable…
      const reread = await readOutOfScope(a);
      failures.push(...reread.failures.map((f) => `after sending out-of-reach ids: ${f}`));
      for (const { op, url, res } of await readAll(a, a.token)) {
        if (wholeOrgByDesign(a, op)) continue;
        for (const l of leaks(a, res.body, url)) failures.push(`${a.name}: after sending out-of-reach ids, ${op.method} ${url} shows ${l}`);
      }
      // …and the records out of reach are as they were.
      const changed = differences(s1, s2, await snapshot(t, gets, worlds, W.org.token, false));
      expectNone([...failures, ...changed.map((d) => `${a.name}'s changes with out-of-reach ids changed ${d}`)]);
    });
  }

  it('reports the request count', () => {
    console.info(`[proof/scopes] ${ops.length} operations, ${W.actors.length} actors, ${requests} requests`);
    expect(requests).toBeGreaterThan(200);
  });
});
