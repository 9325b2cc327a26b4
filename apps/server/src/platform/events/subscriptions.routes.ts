import { z } from 'zod';
import { actorOf, type ApiInstance } from '../http/api.ts';
import { pageQuery } from '../db/pagination.ts';
import { errorResponses, idParams, pageOfSchema } from '../http/schemas.ts';
import type { DeadLettersService } from './dead-letters.ts';
import { DEAD_LETTER_STATUSES } from './subscriptions.schema.ts';

const deadLetterSchema = z
  .object({
    id: z.uuid(),
    subscription: z.string(),
    eventId: z.number(),
    eventType: z.string(),
    topic: z.string(),
    payload: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe('A copy of the event; null when the caller may not read the record it is about (payloadHidden)'),
    payloadHidden: z.boolean().describe('The payload is withheld: the caller may not read the record the event is about'),
    eventCreatedAt: z.string(),
    attempts: z.number(),
    lastError: z.string(),
    status: z.enum(DEAD_LETTER_STATUSES),
    deadAt: z.string(),
    replayRequestedAt: z.string().nullable(),
    replayRequestedBy: z.uuid().nullable(),
    replayedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'DeadLetter', description: 'An event a durable subscription gave up on after its attempts, with a copy of the event' });

const subscriptionSchema = z.object({
  name: z.string(),
  types: z.array(z.string()),
  pending: z.number().describe('Events of this organization waiting for the subscription'),
  lagSeconds: z.number().describe('Age of the oldest of them'),
  retrying: z.boolean().describe('The event at the head of the line failed and waits for its next attempt (it may be another organization’s)'),
  attempts: z.number(),
  retryAt: z.string().nullable(),
  headEventId: z.number().nullable().describe('The failing event, when it is this organization’s'),
  lastError: z.string().nullable(),
  deadLetters: z.number().describe('Dead letters of this organization not replayed yet'),
}).meta({ id: 'EventSubscription', description: 'A durable event subscription, its position and backlog' });

export function subscriptionsRoutes(api: ApiInstance, deadLetters: DeadLettersService) {
  const tags = ['event-subscriptions'];
  api.get(
    '/event-subscriptions',
    {
      config: { auth: 'subscriptions:manage' },
      schema: {
        tags,
        operationId: 'listEventSubscriptions',
        summary: 'The durable event subscriptions, with what waits for each in this organization, their retries and dead letters',
        response: { 200: z.object({ data: z.array(subscriptionSchema) }), ...errorResponses },
      },
    },
    async (req) => deadLetters.overview(actorOf(req)),
  );
  api.get(
    '/event-subscriptions/dead-letters',
    {
      config: { auth: 'subscriptions:manage' },
      schema: {
        tags,
        operationId: 'listDeadLetters',
        summary: 'Dead letters of this organization, newest first (filter by subscription and status)',
        querystring: z.strictObject({ ...pageQuery, subscription: z.string().min(1).max(100).optional(), status: z.enum(DEAD_LETTER_STATUSES).optional() }),
        response: { 200: pageOfSchema(deadLetterSchema), ...errorResponses },
      },
    },
    async (req) => deadLetters.list(actorOf(req), req.query),
  );
  api.get(
    '/event-subscriptions/dead-letters/:id',
    {
      config: { auth: 'subscriptions:manage' },
      schema: { tags, operationId: 'getDeadLetter', summary: 'One dead letter', params: idParams, response: { 200: deadLetterSchema, ...errorResponses } },
    },
    async (req) => deadLetters.get(actorOf(req), req.params.id),
  );
  api.post(
    '/event-subscriptions/dead-letters/:id/replay',
    {
      config: { auth: 'subscriptions:manage' },
      schema: {
        tags,
        operationId: 'replayDeadLetter',
        summary: 'Queue a dead letter for another delivery to its subscription (status becomes queued, then replayed or dead again)',
        params: idParams,
        response: { 202: deadLetterSchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(202).send(await deadLetters.replay(actorOf(req), req.params.id)),
  );
}
