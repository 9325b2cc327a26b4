/**
 * Property-based fuzzing of the WebSocket endpoint /api/realtime: sequences of hostile frames from
 * fast-check (wrong types, huge strings, deep JSON, unicode, prototype-pollution keys, other orgs'
 * topics, binary frames, invalid UTF-8, oversized frames, bursts), sent by an authenticated client
 * of org B and by an anonymous one. Whatever comes in:
 * - the server answers only with its documented message types and error codes (docs/architecture.md,
 *   "Events and real time"), and never with org A's data;
 * - it closes a connection only with the documented codes, and only for the frame that calls for it
 *   (4401 unauthorised, 1009 too big, 1007 invalid UTF-8); otherwise the connection stays usable;
 * - no message handler throws (they would be logged as "realtime message failed");
 * - other clients are served all along: org A's subscriber still receives its events at the end.
 *
 * Deterministic: PROOF_SEED reproduces a run; PROOF_WS_RUNS sets the number of sequences.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { bearer, createTestApp, type TestApp } from '../helpers.ts';
import { createWorld, secretsOf, type World } from './world.ts';

const SEED = Number(process.env.PROOF_SEED ?? 20_260_601);
const RUNS = Number(process.env.PROOF_WS_RUNS ?? 150);
/** The gateway's limits (platform/realtime/gateway.ts, app.ts): a text message, a frame. */
const MAX_MESSAGE_CHARS = 8192;
const MAX_FRAME_BYTES = 64 * 1024;

/** What the server may say (docs/architecture.md, "Events and real time"). */
const SERVER_TYPES = new Set(['ready', 'pong', 'subscribed', 'unsubscribed', 'event', 'presence', 'error']);
const ERROR_CODES = new Set(['bad_message', 'unauthorized', 'unknown_topic', 'forbidden', 'not_found', 'not_subscribed']);
const CLOSE_UNAUTHORIZED = 4401;
const CLOSE_TOO_BIG = 1009;
const CLOSE_INVALID_UTF8 = 1007;

const t: TestApp = await createTestApp();
await t.app.listen({ port: 0, host: '127.0.0.1' });
const WS_BASE = `ws://127.0.0.1:${(t.app.server.address() as { port: number }).port}/api/realtime`;
const warn = vi.spyOn(t.app.log, 'warn');
afterAll(async () => t.close());

let A: World;
let B: World;
beforeAll(async () => {
  A = await createWorld(t);
  B = await createWorld(t);
});

interface Msg {
  type?: unknown;
  code?: unknown;
  topic?: unknown;
  [k: string]: unknown;
}

interface Client {
  ws: WebSocket;
  messages: Msg[];
  /** Frames that were not JSON objects (there must be none). */
  garbage: string[];
  closed: Promise<number>;
  closeCode: number | null;
  waitFor(pred: (m: Msg) => boolean, ms?: number): Promise<Msg | null>;
}

async function connect(query: string): Promise<Client> {
  const ws = new WebSocket(`${WS_BASE}?${query}`);
  const c: Client = {
    ws,
    messages: [],
    garbage: [],
    closeCode: null,
    closed: new Promise<number>((resolve) => ws.on('close', (code) => resolve((c.closeCode = code)))),
    async waitFor(pred, ms = 5_000) {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        const hit = c.messages.find(pred);
        if (hit) return hit;
        if (c.closeCode !== null) return null;
        await new Promise((r) => setTimeout(r, 5));
      }
      return null;
    },
  };
  ws.on('message', (raw, isBinary) => {
    try {
      const m = JSON.parse(String(raw)) as unknown;
      if (m === null || typeof m !== 'object' || Array.isArray(m) || isBinary) c.garbage.push(String(raw).slice(0, 200));
      else c.messages.push(m as Msg);
    } catch {
      c.garbage.push(String(raw).slice(0, 200));
    }
  });
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  return c;
}

// ---------------------------------------------------------------------------------------------
// Frames

type Frame =
  | { kind: 'text'; text: string }
  | { kind: 'binary'; bytes: Buffer }
  /** A text frame whose bytes are not UTF-8. */
  | { kind: 'invalid-utf8'; bytes: Buffer }
  /** A frame over the WebSocket payload limit. */
  | { kind: 'huge'; size: number };

/** The text the gateway reads from a frame (it reads binary frames as UTF-8 too). */
const textOf = (f: Frame) => (f.kind === 'text' ? f.text : f.kind === 'binary' ? f.bytes.toString() : '');

function parsed(f: Frame): Record<string, unknown> | null {
  try {
    const v = JSON.parse(textOf(f)) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The close code a frame must cause (null: none), for a connection authenticated with `ownToken` (or anonymous). */
function fatal(f: Frame, ownToken: string | null): number | null {
  if (f.kind === 'huge') return CLOSE_TOO_BIG;
  if (f.kind === 'invalid-utf8') return CLOSE_INVALID_UTF8;
  if (textOf(f).length > MAX_MESSAGE_CHARS) return CLOSE_TOO_BIG;
  const m = parsed(f);
  if (!m) return null;
  if (m.type === 'auth' && typeof m.token === 'string' && m.token.length < 4096) return m.token === ownToken ? null : CLOSE_UNAUTHORIZED;
  // Anonymous: anything readable but a ping or an auth is refused and closed.
  if (ownToken === null && isKnownMessage(m) && m.type !== 'ping') return CLOSE_UNAUTHORIZED;
  return null;
}

/** A message the gateway reads (anything else answers bad_message). */
function isKnownMessage(m: Record<string, unknown>): boolean {
  const topicOk = typeof m.topic === 'string' && m.topic.length <= 200;
  if (m.type === 'ping') return true;
  if (m.type === 'presence') return topicOk && ['viewing', 'replying', 'left'].includes(m.state as string);
  if (m.type === 'unsubscribe') return topicOk;
  if (m.type === 'subscribe') {
    if (!topicOk) return false;
    const since = m.since === undefined ? undefined : Number(m.since);
    return since === undefined || (Number.isSafeInteger(since) && since >= 0);
  }
  return false;
}

const hostileText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.constantFrom('\u0000', '\ud800', '\udfff\ud800', '‮', '\ufeff', '𝕴𝖒𝖘𝖔𝖕', '<script>alert(1)</script>', "' or 1=1 --", '${7*7}', '{{constructor}}'),
);

function frameArbitrary(own: string, w: { A: World; B: World }) {
  const topics = fc.oneof(
    // Every family, with the caller's own ids and with the other org's.
    { arbitrary: fc.constantFrom('operations', 'alarms', 'telemetry', 'tickets'), weight: 3 },
    { arbitrary: fc.constantFrom(...(['operation', 'device', 'ticket'] as const).flatMap((f) => [`${f}:${w.A.ids[f]}`, `${f}:${w.B.ids[f]}`])), weight: 4 },
    fc.uuid().map((u) => `operation:${u}`),
    { arbitrary: fc.constantFrom('', 'counters', '__proto__', 'constructor', 'operation:__proto__', 'hasOwnProperty', 'tickets ', 'TICKETS', `ticket:${w.A.ids.ticket.toUpperCase()}`), weight: 2 },
    hostileText,
    fc.constantFrom('x'.repeat(200), 'x'.repeat(201), 'é'.repeat(200)),
  );
  const anyValue = fc.oneof(hostileText, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 3 }));
  const shaped = fc.record(
    {
      type: fc.oneof(
        { arbitrary: fc.constantFrom('subscribe', 'subscribe', 'subscribe', 'unsubscribe', 'presence', 'presence', 'auth', 'ping'), weight: 6 },
        { arbitrary: fc.constantFrom('event', 'ready', 'error', 'PING', ''), weight: 1 },
        { arbitrary: anyValue, weight: 1 },
      ),
      topic: fc.oneof({ arbitrary: topics, weight: 8 }, anyValue),
      since: fc.oneof(
        { arbitrary: fc.nat(), weight: 3 },
        { arbitrary: fc.constantFrom(-1, 0.5, 1e300, Number.MAX_SAFE_INTEGER + 2, '7', 'NaN', '', '1e3', [], {}), weight: 1 },
        { arbitrary: anyValue, weight: 1 },
      ),
      state: fc.oneof(fc.constantFrom('viewing', 'replying', 'left', 'typing', 'VIEWING'), anyValue),
      // An authenticated client also tries its own token again and org A's credentials; an anonymous one only bad tokens.
      token: fc.oneof(fc.constantFrom(...(own ? [own, w.A.org.token, w.A.values.apiKeySecret] : []), 'imsop_zzzzzzzzzzzz_zz', 'eyJhbGciOiJub25lIn0.e30.', 'x'.repeat(5000)), hostileText),
    },
    { requiredKeys: ['type'] },
  );
  const pollution = fc.constantFrom(
    '{"__proto__":{"type":"ping"}}',
    '{"type":"subscribe","topic":"operations","__proto__":{"since":1}}',
    '{"constructor":{"prototype":{"type":"auth","token":"x"}}}',
    '{"type":"presence","topic":"tickets","state":"viewing","__proto__":{"isPlatformAdmin":true}}',
    '{"type":"subscribe","topic":"__proto__"}',
    '{"type":"subscribe","topic":"operations","since":{"valueOf":1}}',
  );
  const deep = fc.integer({ min: 50, max: 4000 }).chain((n) =>
    fc.constantFrom('['.repeat(n) + ']'.repeat(n), '{"a":'.repeat(Math.min(n, 1600)) + '1' + '}'.repeat(Math.min(n, 1600)), `{"type":"subscribe","topic":${'['.repeat(n)}${']'.repeat(n)}}`),
  );
  const edges = fc.constantFrom(
    'x'.repeat(MAX_MESSAGE_CHARS),
    'x'.repeat(MAX_MESSAGE_CHARS + 1),
    JSON.stringify({ type: 'ping', pad: 'x'.repeat(MAX_MESSAGE_CHARS - 27) }),
    JSON.stringify({ type: 'subscribe', topic: 'operations', pad: 'é'.repeat(MAX_MESSAGE_CHARS) }),
    '',
    'null',
    '1',
    '"ping"',
    '[{"type":"ping"}]',
    '{"type":"ping"',
    '{"type":"ping"}{"type":"ping"}',
  );
  const text = fc.oneof(
    { arbitrary: shaped.map((v) => JSON.stringify(v)), weight: 16 },
    { arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)), weight: 2 },
    { arbitrary: pollution, weight: 2 },
    { arbitrary: deep, weight: 1 },
    { arbitrary: edges, weight: 2 },
    { arbitrary: hostileText, weight: 2 },
  );
  return fc.oneof(
    { arbitrary: text.map((s): Frame => ({ kind: 'text', text: s })), weight: 30 },
    { arbitrary: fc.oneof(text.map((s) => Buffer.from(s)), fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b))).map((bytes): Frame => ({ kind: 'binary', bytes })), weight: 3 },
    { arbitrary: fc.constantFrom(Buffer.from([0xff, 0xfe]), Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), Buffer.from([0xed, 0xa0, 0x80])).map((bytes): Frame => ({ kind: 'invalid-utf8', bytes })), weight: 1 },
    { arbitrary: fc.constantFrom(MAX_FRAME_BYTES + 1, 200_000).map((size): Frame => ({ kind: 'huge', size })), weight: 1 },
  );
}

/** Sequences that often start in a valid state (a subscription, a presence on it), so the hostile frames meet it. */
function sequenceArbitrary(own: string, w: { A: World; B: World }, maxLength: number) {
  const text = (v: unknown): Frame => ({ kind: 'text', text: JSON.stringify(v) });
  const prefix = fc
    .tuple(fc.constantFrom('tickets', 'operations', 'alarms', `ticket:${w.B.ids.ticket}`, `operation:${w.B.ids.operation}`), fc.constantFrom('viewing', 'replying'), fc.nat(2))
    .map(([topic, state, n]) => [text({ type: 'subscribe', topic }), text({ type: 'presence', topic, state }), text({ type: 'unsubscribe', topic })].slice(0, n + 1));
  return fc
    .tuple(fc.oneof(fc.constant<Frame[]>([]), prefix), fc.array(frameArbitrary(own, w), { minLength: 1, maxLength }))
    .map(([start, rest]) => [...start, ...rest]);
}

function send(c: Client, f: Frame) {
  if (c.ws.readyState !== WebSocket.OPEN) return;
  if (f.kind === 'text') c.ws.send(f.text);
  else if (f.kind === 'binary') c.ws.send(f.bytes, { binary: true });
  else if (f.kind === 'invalid-utf8') c.ws.send(f.bytes, { binary: false });
  else c.ws.send(Buffer.alloc(f.size, 0x61), { binary: false });
}

const describeFrame = (f: Frame) =>
  f.kind === 'text' ? `text ${JSON.stringify(f.text.length > 200 ? `${f.text.slice(0, 200)}…(${f.text.length})` : f.text)}` : f.kind === 'huge' ? `frame of ${f.size} bytes` : `${f.kind} ${f.bytes.subarray(0, 80).toString('hex')}`;

/** Every message the client got is documented, and none carries org A's data. */
function checkMessages(c: Client, orgId: string): string[] {
  const problems = c.garbage.map((g) => `not a JSON object message: ${g}`);
  const secretsA = secretsOf(A);
  for (const m of c.messages) {
    const text = JSON.stringify(m);
    if (!SERVER_TYPES.has(m.type as string)) problems.push(`undocumented type: ${text.slice(0, 300)}`);
    if (m.type === 'error') {
      if (!ERROR_CODES.has(m.code as string)) problems.push(`undocumented error code: ${text.slice(0, 300)}`);
      if (typeof m.message !== 'string' || /\bat .*:\d+|Error:|node_modules|\.ts\b/.test(m.message)) problems.push(`error message leaks internals: ${text.slice(0, 300)}`);
    } else if (m.type !== 'unsubscribed' && secretsA.some((s) => text.includes(s))) {
      // (Errors and `unsubscribed` echo the topic the client sent; anything else naming org A is a leak.)
      problems.push(`org A's data reached org B: ${text.slice(0, 300)}`);
    }
    if (m.type === 'ready' && m.orgId !== orgId) problems.push(`ready for another org: ${text}`);
  }
  return problems;
}

/** What the fuzz provoked, by answer (`type:code`) and by close code: a fuzz that never reaches a branch proves nothing about it. */
const seen = new Map<string, number>();
const count = (k: string) => seen.set(k, (seen.get(k) ?? 0) + 1);

async function runSequence(frames: Frame[], auth: 'b' | 'anonymous'): Promise<void> {
  const own = auth === 'b' ? B.org.token : null;
  const c = await connect(auth === 'b' ? `access_token=${B.org.token}` : '');
  if (auth === 'b' && !(await c.waitFor((m) => m.type === 'ready'))) throw new Error('no ready message');
  const expected = new Set(frames.map((f) => fatal(f, own)).filter((x): x is number => x !== null));
  for (const f of frames) send(c, f);
  // A last message whose answer marks the end: an unknown topic named by a nonce (authenticated),
  // or one more ping (anonymous: pongs are counted).
  const nonce = `end-${crypto.randomUUID()}`;
  const pings = frames.filter((f) => parsed(f)?.type === 'ping' && textOf(f).length <= MAX_MESSAGE_CHARS).length + 1;
  if (own) c.ws.send(JSON.stringify({ type: 'subscribe', topic: nonce }));
  else c.ws.send(JSON.stringify({ type: 'ping' }));
  const done = await (own
    ? c.waitFor((m) => m.topic === nonce, 10_000)
    : c.waitFor(() => c.messages.filter((m) => m.type === 'pong').length >= pings, 10_000));
  const problems = checkMessages(c, B.org.orgId);
  if (expected.size === 0) {
    if (!done) problems.push(`the connection ${c.closeCode === null ? 'stopped answering' : `was closed with ${c.closeCode}`} although no frame called for it`);
    if (done && own) expect(done).toMatchObject({ type: 'error', code: 'unknown_topic' });
  } else {
    const code = await Promise.race([c.closed, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
    if (code === null || !expected.has(code)) problems.push(`expected a close with ${[...expected].join(' or ')}, got ${code ?? 'none within 10 s'}`);
    if (code === CLOSE_UNAUTHORIZED && !c.messages.some((m) => m.type === 'error' && m.code === 'unauthorized')) problems.push('4401 without an unauthorized error first');
  }
  for (const m of c.messages) count(`${auth} ${String(m.type)}${m.code ? `:${String(m.code)}` : ''}`);
  if (c.closeCode !== null) count(`${auth} close:${c.closeCode}`);
  c.ws.terminate();
  if (problems.length) throw new Error(`${problems.join('\n')}\n  frames:\n    ${frames.map(describeFrame).join('\n    ')}`);
}

const failedHandlers = () => warn.mock.calls.filter((call) => call[1] === 'realtime message failed');

describe('fuzzing /api/realtime', () => {
  let witness: Client;
  beforeAll(async () => {
    // Org A's subscriber, connected through the whole fuzz.
    witness = await connect(`access_token=${A.org.token}`);
    witness.ws.send(JSON.stringify({ type: 'subscribe', topic: 'operations' }));
    expect(await witness.waitFor((m) => m.type === 'subscribed')).toBeTruthy();
  });

  it('org B’s hostile message sequences get documented answers and documented closes only', { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(sequenceArbitrary(B.org.token, { A, B }, 12), (frames) => runSequence(frames, 'b')),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    expect(failedHandlers()).toEqual([]);
    console.info(`[proof/realtime-fuzz] seed ${SEED}, ${RUNS} sequences as org B: ${JSON.stringify(Object.fromEntries([...seen].filter(([k]) => k.startsWith('b '))))}`);
    for (const k of ['subscribed', 'unsubscribed', 'pong', 'error:bad_message', 'error:not_found', 'error:unknown_topic', 'error:not_subscribed', 'presence', 'close:4401', 'close:1009', 'close:1007']) {
      expect(seen.get(`b ${k}`) ?? 0, `answers ${k}`).toBeGreaterThan(0);
    }
  });

  it('anonymous sequences: pings and bad messages are answered, anything else is refused with 4401', { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(sequenceArbitrary('', { A, B }, 6), (frames) => runSequence(frames, 'anonymous')),
      { seed: SEED + 1, numRuns: Math.ceil(RUNS / 2), endOnFailure: true },
    );
    expect(failedHandlers()).toEqual([]);
    for (const k of ['pong', 'error:bad_message', 'error:unauthorized', 'close:4401']) expect(seen.get(`anonymous ${k}`) ?? 0, `answers ${k}`).toBeGreaterThan(0);
  });

  it('a burst of 2,000 messages on one connection is answered in full and in order', async () => {
    const c = await connect(`access_token=${B.org.token}`);
    await c.waitFor((m) => m.type === 'ready');
    const frames: string[] = [];
    for (let i = 0; i < 2_000; i++) {
      frames.push(i % 4 === 3 ? JSON.stringify({ type: 'subscribe', topic: `burst-${i}` }) : i % 4 === 2 ? 'not json' : JSON.stringify({ type: 'ping' }));
    }
    for (const f of frames) c.ws.send(f);
    expect(await c.waitFor((m) => m.topic === 'burst-1999', 30_000), 'the last answer').toBeTruthy();
    expect(c.closeCode).toBeNull();
    expect(c.messages.filter((m) => m.type === 'pong')).toHaveLength(1_000);
    expect(c.messages.filter((m) => m.code === 'bad_message')).toHaveLength(500);
    const order = c.messages.filter((m) => m.code === 'unknown_topic').map((m) => Number(String(m.topic).slice(6)));
    expect(order).toEqual([...order].sort((x, y) => x - y));
    expect(order).toHaveLength(500);
    expect(checkMessages(c, B.org.orgId)).toEqual([]);
    c.ws.terminate();
  });

  it('a burst of 50 connections at once, half of them unauthorised: the good ones are served, the bad ones closed with 4401', async () => {
    const clients = await Promise.all(Array.from({ length: 50 }, (_, i) => connect(i % 2 ? `access_token=${B.org.token}` : `access_token=${i % 4 ? 'garbage' : B.values.apiKeySecret.slice(0, -2)}`)));
    const good = clients.filter((_, i) => i % 2);
    const bad = clients.filter((_, i) => i % 2 === 0);
    expect(await Promise.all(bad.map((c) => c.closed))).toEqual(bad.map(() => CLOSE_UNAUTHORIZED));
    for (const c of good) c.ws.send(JSON.stringify({ type: 'subscribe', topic: 'operations' }));
    const answers = await Promise.all(good.map((c) => c.waitFor((m) => m.type === 'subscribed')));
    expect(answers.every(Boolean)).toBe(true);
    for (const c of clients) c.ws.terminate();
  });

  it('oversized and unauthorised connections are closed with their documented codes while others keep being served', async () => {
    const big = await connect(`access_token=${B.org.token}`);
    big.ws.send('x'.repeat(MAX_MESSAGE_CHARS + 1));
    expect(await big.closed).toBe(CLOSE_TOO_BIG);
    const huge = await connect(`access_token=${B.org.token}`);
    huge.ws.send(Buffer.alloc(MAX_FRAME_BYTES + 1, 0x20));
    expect(await huge.closed).toBe(CLOSE_TOO_BIG);
    const stranger = await connect('');
    stranger.ws.send(JSON.stringify({ type: 'subscribe', topic: 'operations' }));
    expect(await stranger.closed).toBe(CLOSE_UNAUTHORIZED);
    expect(stranger.messages).toEqual([expect.objectContaining({ type: 'error', code: 'unauthorized' })]);

    // Through everything above, org A's subscriber stayed connected and still hears its org.
    const res = await t.inject({ method: 'POST', url: '/api/operations', headers: bearer(A.org.token), payload: { name: 'After the fuzz' } });
    expect(res.statusCode).toBe(201);
    const id = res.json().id as string;
    expect(await witness.waitFor((m) => m.type === 'event' && JSON.stringify(m).includes(id))).toBeTruthy();
    expect(witness.closeCode).toBeNull();
    expect(checkMessages(witness, A.org.orgId).filter((p) => !p.startsWith('org A'))).toEqual([]);
    // The REST API answers, and a new connection is served.
    expect((await t.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
    const fresh = await connect(`access_token=${B.org.token}`);
    fresh.ws.send(JSON.stringify({ type: 'ping' }));
    expect(await fresh.waitFor((m) => m.type === 'pong')).toBeTruthy();
    fresh.ws.terminate();
    witness.ws.terminate();
    expect(failedHandlers()).toEqual([]);
  });
});
