/**
 * Who may see an event: the topic rules modules declare (`defineModule` → `topics`), and the one
 * judgement built on them. The realtime gateway (live delivery and replay) and the dead-letter list
 * both use it, so an event's payload reaches a person only when they could read its record over REST.
 */
import type { Actor } from '../access/actor.ts';
import type { DeliveredEvent } from '../events/dispatcher.ts';
import type { EventVisibility } from '../events/events.schema.ts';

/**
 * A topic family and who may subscribe. `authorize` answers 'ok', 'forbidden' (lacks the
 * permission) or 'not_found' (the id is not visible to this actor, including other orgs' ids).
 */
export interface TopicRule {
  pattern: RegExp;
  authorize(actor: Actor, match: RegExpExecArray): Promise<TopicDecision> | TopicDecision;
  /**
   * The read rule of the records this topic's events are about, for one subscriber: loads what the
   * rule needs about the actor now (e.g. their teams), then answers per event, from the facts the
   * event carries (`visibility`), whether the subscriber could read that record over REST. It must
   * be the function the REST service uses for that record kind. Omitted: every subscriber of the
   * topic sees every event of it.
   */
  reader?(actor: Actor): Promise<EventReader>;
  /**
   * Replay: the read facts of each replayed event's record as the record is now (by event id), so
   * that a replay shows only what the subscriber could read over REST at this moment, not what they
   * could read when the event was written (a ticket since moved to another team). An event missing
   * from the map is not replayed; `currentFacts` keeps a deleted record's events with their own facts.
   */
  current?(orgId: string, events: readonly ReplayedEvent[]): Promise<Map<number, EventVisibility | null>>;
  /**
   * The topic is one record (`ticket:<id>`): a live event showing the record out of the subscriber's
   * reach ends the subscription (an `unsubscribed` frame with reason `not_found`).
   */
  single?: boolean;
}
export type TopicDecision = 'ok' | 'forbidden' | 'not_found';
/** May the subscriber see the record an event is about? `null`: the event is about no one record. */
export type EventReader = (visibility: EventVisibility | null) => boolean;

type ReplayedEvent = Pick<DeliveredEvent, 'id' | 'payload' | 'visibility'>;

/**
 * For a `current` rule: the facts of each event about a record of `kind` (its id at
 * `payload[payloadKey].id`) replaced by the record's facts now, as `load` reads them by id. Events
 * whose record is gone (deleted since, the deletion's own event included) and events about anything
 * else keep their own facts: a client resuming with `since` still learns of the deletion.
 */
export async function currentFacts(
  events: readonly ReplayedEvent[],
  kind: string,
  payloadKey: string,
  load: (ids: string[]) => Promise<Map<string, EventVisibility>>,
): Promise<Map<number, EventVisibility | null>> {
  const recordOf = (e: ReplayedEvent) => (e.visibility?.kind === kind ? (e.payload[payloadKey] as { id?: unknown } | undefined)?.id : undefined);
  const ids = [...new Set(events.map(recordOf).filter((id): id is string => typeof id === 'string'))];
  const now = ids.length ? await load(ids) : new Map<string, EventVisibility>();
  const out = new Map<number, EventVisibility | null>();
  for (const e of events) {
    const id = recordOf(e);
    out.set(e.id, typeof id === 'string' && now.has(id) ? now.get(id)! : e.visibility);
  }
  return out;
}

/** The rule of the first topic family whose pattern matches `topic`, with the match. */
export function topicRuleOf(rules: readonly TopicRule[], topic: string): { rule: TopicRule; match: RegExpExecArray } | null {
  for (const rule of rules) {
    const match = rule.pattern.exec(topic);
    if (match) return { rule, match };
  }
  return null;
}

/** One reader per rule's reader function (topics of one record kind share it) for a batch. */
export async function readersFor(actor: Actor, rules: Iterable<TopicRule | undefined>) {
  const out = new Map<TopicRule['reader'], EventReader>();
  for (const rule of rules) if (rule?.reader && !out.has(rule.reader)) out.set(rule.reader, await rule.reader(actor));
  return out;
}

export const shows = (rule: TopicRule, readers: Map<TopicRule['reader'], EventReader>, e: Pick<ReplayedEvent, 'visibility'>) =>
  !rule.reader || readers.get(rule.reader)!(e.visibility);

/**
 * The ids of the events (all of one topic of `rule`) the actor may see now: each event's record
 * judged as it is now where the rule knows how (`current`), else by the facts the event carries.
 * The caller has authorized the topic itself.
 */
export async function visibleNow(actor: Actor, rule: TopicRule, events: readonly ReplayedEvent[]): Promise<Set<number>> {
  const readers = await readersFor(actor, [rule]);
  const now = rule.current ? await rule.current(actor.orgId, events.filter((e) => e.visibility)) : null;
  const out = new Set<number>();
  for (const e of events) {
    const shown = !now || !e.visibility ? shows(rule, readers, e) : now.has(e.id) && shows(rule, readers, { visibility: now.get(e.id)! });
    if (shown) out.add(e.id);
  }
  return out;
}

/**
 * The ids of the events, of any topics, the actor may see now: the topic's subscription check
 * (`authorize`), then the record's read rule. An event on a topic no module declares is shown to
 * no one: nothing says who may read it.
 */
export async function visibleEvents(
  rules: readonly TopicRule[],
  actor: Actor,
  events: readonly (ReplayedEvent & { topic: string })[],
): Promise<Set<number>> {
  const byTopic = new Map<string, (ReplayedEvent & { topic: string })[]>();
  for (const e of events) {
    const list = byTopic.get(e.topic);
    if (list) list.push(e);
    else byTopic.set(e.topic, [e]);
  }
  const out = new Set<number>();
  for (const [topic, list] of byTopic) {
    const found = topicRuleOf(rules, topic);
    if (!found || (await found.rule.authorize(actor, found.match)) !== 'ok') continue;
    for (const id of await visibleNow(actor, found.rule, list)) out.add(id);
  }
  return out;
}
