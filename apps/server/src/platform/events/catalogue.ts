import { z } from 'zod';

/** One kind of event a module publishes: its schema version and payload. */
export interface EventSpec {
  version: number;
  /** What happened, in a sentence (the event catalogue in docs/architecture.md is generated from it). */
  description: string;
  payload: z.ZodType<Record<string, unknown>>;
}

export type EventSpecs = Readonly<Record<string, EventSpec>>;

/** The events a module declares: name → spec, and the Zod discriminated union over `type`. */
export interface EventCatalogue<S extends EventSpecs = EventSpecs> {
  specs: S;
  schema: z.ZodType<{ type: string; version: number; payload: Record<string, unknown> }>;
}

/**
 * A module's events, declared once in `<domain>.events.ts`. Every event the module emits must be
 * here, with a payload that matches its schema (checked when strict checks are on: in tests and
 * development a mismatch fails the use case).
 */
export function defineEvents<const S extends EventSpecs>(specs: S): EventCatalogue<S> {
  const members = Object.entries(specs).map(([type, s]) =>
    z.object({ type: z.literal(type), version: z.literal(s.version), payload: s.payload }),
  );
  if (members.length === 0) throw new Error('defineEvents needs at least one event');
  const schema = z.discriminatedUnion('type', members as unknown as [z.ZodObject<{ type: z.ZodLiteral<string> }>, ...z.ZodObject<{ type: z.ZodLiteral<string> }>[]]);
  return { specs, schema: schema as unknown as EventCatalogue<S>['schema'] };
}

/** The type name of a catalogue's events. */
export type EventType<C extends EventCatalogue> = Extract<keyof C['specs'], string>;

/** The payload of one event type, as a use case writes it. */
export type EventPayload<C extends EventCatalogue, T extends EventType<C>> = z.input<C['specs'][T]['payload']>;

/** An event that is not its module's, or whose payload does not match its schema. */
export class EventContractError extends Error {
  override name = 'EventContractError';
}

/** Checks an event against a catalogue and returns its version (the payload only when strict). */
export type EventCheck = (type: string, payload: unknown) => number;

export function eventChecker(catalogue: EventCatalogue | null, strict: boolean): EventCheck {
  return (type, payload) => {
    const spec = catalogue?.specs[type];
    if (!spec) throw new EventContractError(`Event "${type}" is not in the module's event catalogue.`);
    if (strict) {
      const checked = catalogue!.schema.safeParse({ type, version: spec.version, payload });
      if (!checked.success) throw new EventContractError(`Event "${type}" does not match its schema: ${checked.error.message}`);
    }
    return spec.version;
  };
}
