import type { Subscriptions } from '../events/subscriptions.ts';
/**
 * A module's proof seed: the records the proof suite (`apps/server/test/proof/`) creates for the
 * module in an org, through the API as the org's admin, and how the walkers find them again. With
 * it, the isolation walker, the fuzzers and the reference fuzzer reach every route of a new module
 * with real ids, and nothing in `test/proof/` changes.
 *
 * A module points to its seed lazily from its definition (`proof: () => import('./<name>.proof.ts')`),
 * so the server never loads a seed: only the proof suite calls the loader. A seed file imports
 * nothing but this file (it talks to the module through its HTTP API, like a client would).
 *
 * Each seed adds its kinds and values to `ProofKinds` and `ProofValues` by declaration merging, from
 * the arrays it declares (see the modules' `*.proof.ts`), so the proof suite's worlds are typed.
 */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by the modules' seeds (declaration merging)
export interface ProofKinds {}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by the modules' seeds (declaration merging)
export interface ProofValues {}

/** A kind of record the seeds create, one of each per org: `user`, `operation`, `ticket`… */
export type ProofKind = Extract<keyof ProofKinds, string>;
/** A named value of an org that is not a record's id: a permission, a requester link token, a device key… */
export type ProofValue = Extract<keyof ProofValues, string>;

export type ProofMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a seed gets to create its records with. */
export interface ProofApi {
  /** The org the records are created in, and its admin. */
  org: { id: string; slug: string; adminId: string; adminEmail: string };
  /**
   * Calls the API as the org's admin (with `headers` instead of the admin's token when given: `{}`
   * for an anonymous call) and returns the JSON answer. An answer with another status than `status`
   * (default 201 for POST, 200 otherwise) fails the seed, naming the request and the answer.
   * An object `body` is sent as JSON; a string as it is (with its own `content-type` header).
   */
  call<T = unknown>(method: ProofMethod, url: string, options?: { body?: unknown; status?: number; headers?: Record<string, string> }): Promise<T>;
  /** An email address no one has yet (`prefix` shows in it). */
  email(prefix: string): string;
  /** A password the password policy accepts. */
  password: string;
  /** The test's clock, in milliseconds since the epoch (dates in the future, windows of time). */
  now(): number;
  /**
   * The platform's durable subscriptions: only the platform's own seed (test/proof/platform.proof.ts)
   * uses them, to leave a dead letter in the org. Module seeds talk HTTP.
   */
  subscriptions: Pick<Subscriptions, 'has' | 'register' | 'flush'>;
}

/** The records of the seeds that ran before, for a seed that builds on them (a device of an operation). */
export interface EarlierRecords {
  /**
   * The id of a kind an earlier seed created. Only the kinds of modules whose ports this module
   * requires (directly or not) are there: those are the seeds that run first, whatever the list's order.
   */
  id(kind: ProofKind): string;
  value(name: ProofValue): string;
}

/** What a seed's `create` returns: one id of each kind it declares, each value it declares. */
export interface SeededRecords<K extends string, V extends string> {
  ids: Record<K, string>;
  values: Record<V, string>;
  /**
   * Strings of the org's records, other than the ids, that must never show in another org's
   * answers or events (emails, keys, tokens).
   */
  secrets: string[];
}

export interface ProofSeed<K extends string = string, V extends string = string> {
  /** The kinds of record the seed creates. */
  kinds: readonly K[];
  /** The named values it returns. */
  values: readonly V[];
  /**
   * Route families whose `{id}` names a record of a kind (this seed's or an earlier one's), by the
   * path after /api: `[/^\/api\/devices\//, 'device']`.
   */
  families?: readonly (readonly [RegExp, ProofKind])[];
  /**
   * Parameters named after a record or a value, whatever the route (path, query or body):
   * `{ deviceId: 'device', permission: 'permission' }`.
   */
  params?: Readonly<Record<string, ProofKind | ProofValue>>;
  /** Query and body fields that name a record of a kind under another name: `{ ownerId: 'user' }`. */
  queryIds?: Readonly<Record<string, ProofKind>>;
  /** Request headers a route requires, filled from the caller's own values: `{ 'x-ticket-token': 'ticketToken' }`. */
  headers?: Readonly<Record<string, ProofValue>>;
  /** Creates one record of each kind in `api.org`, through the API. */
  create(api: ProofApi, earlier: EarlierRecords): Promise<SeededRecords<K, V>>;
}

/** A module's seed (the module's `proof` loader imports a file whose default export is one). */
export function defineProofSeed<const K extends string, const V extends string = never>(seed: ProofSeed<K, V>): ProofSeed<K, V> {
  return seed;
}

/** What a module definition's `proof` returns. */
export type ProofSeedLoader = () => Promise<{ default: ProofSeed }>;
