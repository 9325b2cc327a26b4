import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import type { Config } from '../../config.ts';
import type { AccessChange } from '../access/actor.ts';
import type { Catalogue, PermissionSet } from '../access/catalogue.ts';
import type { PlatformKeys } from '../auth/keys.ts';
import type { TokenService } from '../auth/tokens.ts';
import type { Bus } from '../bus/bus.ts';
import type { Clock } from '../clock.ts';
import type { AppDb, Database } from '../db/client.ts';
import type { ModuleErrors } from '../errors/app-error.ts';
import type { EventCatalogue } from '../events/catalogue.ts';
import type { Dispatcher } from '../events/dispatcher.ts';
import type { SubscriptionDefinition, Subscriptions } from '../events/subscriptions.ts';
import type { JobDefinition, Jobs, ScheduleSpec } from '../jobs/jobs.ts';
import type { FileScanner } from '../files/scan.ts';
import type { FileStore } from '../files/store.ts';
import type { ApiInstance, Authenticator } from '../http/api.ts';
import type { OutageReporter } from '../logging/outage.ts';
import type { MessagingProvider } from '../messaging/provider.ts';
import type { WhatsAppCloud } from '../messaging/whatsapp.ts';
import type { Notifier } from '../notify/notify.ts';
import type { TopicRule } from '../realtime/topic-access.ts';
import type { ProofSeedLoader } from './proof.ts';
import type { UseCase } from './use-case.ts';

/**
 * What modules provide one another, by name. The platform's own needs are declared here; a module
 * that provides a port declares its type beside its implementation and adds it with declaration
 * merging (`declare module '…/platform/module/module.ts' { interface Ports { … } }`), so each port
 * type is defined once, by its provider.
 */
export interface Ports {
  /** Turns a bearer token or an API key into an actor (every route and the realtime gateway use it). */
  authenticator: Authenticator;
  /** Calls the listener whenever someone's access changes, on any instance (realtime re-checks). */
  accessChanges: (listener: (change: AccessChange) => void) => void;
}

export type PortName = Extract<keyof Ports, string>;

/** What the platform gives every module. */
export interface PlatformContext {
  config: Config;
  database: Database;
  db: AppDb;
  bus: Bus;
  dispatcher: Dispatcher;
  notifier: Notifier;
  keys: PlatformKeys;
  tokens: TokenService;
  log: FastifyBaseLogger;
  /** The app's permission catalogue (every module's permissions). */
  catalogue: Catalogue;
  files: { store: FileStore; scanner: FileScanner };
  /** The chat channels' providers (sending goes through the notifier). */
  chat: { whatsapp: WhatsAppCloud; sms: MessagingProvider };
  /** The URL people reach the server at (links in messages). */
  publicUrl: string;
  /** The Prometheus registry behind /metrics. */
  metrics: Registry;
  /** A throttled reporter for a part that fails while a backing service is down (one warning per outage). */
  outage(what: string): OutageReporter;
  /** Validate events and require audit records (tests, development); off in production. */
  strict: boolean;
  /** "Now" for everything time-dependent (tests inject their own). */
  clock: Clock;
  /** The job facility: a module enqueues its jobs here (its schedules it declares in `schedules`). */
  jobs: Jobs;
  /** The durable subscriptions (a module declares its own in `subscriptions`). */
  subscriptions: Subscriptions;
}

/** What a module's `create` receives: the platform, its required ports, and its use-case helper. */
export interface ModuleContext<R extends PortName, E extends EventCatalogue> extends PlatformContext {
  ports: Pick<Ports, R>;
  useCase: UseCase<E>;
}

/** A recurring job of a module: the schedule's name, the job and when it fires. */
export interface ModuleSchedule {
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each schedule's payload type is its own job's
  job: JobDefinition<any>;
  spec: ScheduleSpec;
}

/** A network endpoint a module opens (see `ModuleInstance.listeners`). */
export interface ModuleListener {
  /** Its line on /api/ready (`mqtt`). */
  name: string;
  open(): Promise<OpenListener>;
}
export interface OpenListener {
  /** What /api/ready says of it now ("embedded broker on port 1884"). */
  state(): string;
  /** What the start-up line says of it ("MQTT on port 1884"), if anything. */
  banner?: string;
  close(): Promise<void>;
}

/** A created module: what it offers the app. */
export interface ModuleInstance<P extends PortName> {
  /** The ports the definition names in `provides` (the kernel checks that each is there). */
  provides?: Pick<Ports, P>;
  /** Realtime topic families with their per-record read rules. */
  topics?: readonly TopicRule[];
  /** Registers the module's routes under /api. */
  routes?(api: ApiInstance): void;
  /** Recurring jobs: each fires once per time across instances (platform/jobs); registered at creation. */
  schedules?: readonly ModuleSchedule[];
  /**
   * Durable reactions to events (platform/events/subscriptions.ts): `{ name, types: ['ticket.sla_breached'], handler }`,
   * handed each matching event at least once, in commit order, one instance at a time.
   */
  subscriptions?: readonly SubscriptionDefinition[];
  /**
   * Network endpoints of its own besides the HTTP API (telemetry's MQTT broker or session). Opened
   * by the server process (`main.ts`), not by `buildApp`: after the app is ready and before the HTTP
   * port, in module order, so a port in use stops the start before /api/ready answers; closed first
   * on shutdown, before HTTP requests drain. Tests that build the app open none.
   */
  listeners?: readonly ModuleListener[];
  /** Background work: started in module order once the app is ready, stopped in reverse order. */
  start?(): Promise<void>;
  stop?(): Promise<void>;
  /** The services, for tests and for scripts that drive the module directly. */
  services?: Record<string, unknown>;
}

export interface ModuleDefinition<
  N extends string = string,
  P extends PortName = PortName,
  R extends PortName = PortName,
  E extends EventCatalogue = EventCatalogue,
  I extends ModuleInstance<P> = ModuleInstance<P>,
> {
  name: N;
  /** OpenAPI tags of the module's routes, with a description each. */
  tags: readonly { name: string; description: string }[];
  permissions: PermissionSet;
  events: E | null;
  errors: ModuleErrors | null;
  provides: readonly P[];
  requires: readonly R[];
  create(ctx: ModuleContext<R, E>): I | Promise<I>;
  /** Loads the module's proof seed (`./<name>.proof.ts`, see proof.ts); only the proof suite calls it. */
  proof?: ProofSeedLoader;
}

/**
 * Declares a module: everything the app needs to know about a domain, in the domain's own folder.
 * `app.ts` is a list of these; the kernel (`kernel.ts`) orders them by their ports, builds the
 * permission catalogue and the OpenAPI tags, and starts and stops them.
 */
export function defineModule<
  const N extends string,
  const P extends PortName = never,
  const R extends PortName = never,
  E extends EventCatalogue = EventCatalogue,
  I extends ModuleInstance<P> = ModuleInstance<P>,
>(def: {
  name: N;
  tags: readonly { name: string; description: string }[];
  permissions: PermissionSet;
  events?: E;
  errors?: ModuleErrors;
  provides?: readonly P[];
  requires?: readonly R[];
  create(ctx: ModuleContext<R, E>): I | Promise<I>;
  proof?: ProofSeedLoader;
}): ModuleDefinition<N, P, R, E, I> {
  return { ...def, events: def.events ?? null, errors: def.errors ?? null, provides: def.provides ?? [], requires: def.requires ?? [] };
}
