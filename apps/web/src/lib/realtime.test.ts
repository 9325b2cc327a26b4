import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RealtimeClient, type RealtimeEvent } from './realtime';

/** A scripted WebSocket: records what the client sends; the test plays the server. */
class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor(public url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close() {
    this.readyState = 3;
  }
  // server side
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  push(msg: unknown) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

const last = () => FakeSocket.all[FakeSocket.all.length - 1]!;
const event = (id: number, topic: string, name = 'operation.created') => ({ type: 'event', id, topic, event: name, data: { id } });

function setup(overrides: Partial<ConstructorParameters<typeof RealtimeClient>[0]> = {}) {
  const events: RealtimeEvent[] = [];
  const resync = vi.fn();
  let token: string | null = 'tok-1';
  const client = new RealtimeClient({
    url: (since) => `ws://test/api/realtime${since === null ? '' : `?since=${since}`}`,
    token: () => token,
    onEvent: (e) => events.push(e),
    onResync: resync,
    createSocket: (url) => new FakeSocket(url),
    initialDelayMs: 100,
    maxDelayMs: 1600,
    random: () => 1, // no jitter: the full delay
    ...overrides,
  });
  return { client, events, resync, setToken: (t: string | null) => (token = t) };
}

beforeEach(() => {
  FakeSocket.all = [];
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

describe('RealtimeClient', () => {
  it('authenticates in the first message (not the URL), then subscribes to its topics', () => {
    const { client } = setup();
    client.subscribe('operations');
    client.start();
    expect(client.status).toBe('connecting');
    const ws = last();
    expect(ws.url).toBe('ws://test/api/realtime');
    ws.open();
    expect(ws.sent).toEqual([{ type: 'auth', token: 'tok-1' }]);
    ws.push({ type: 'ready' });
    expect(client.status).toBe('live');
    expect(ws.sent[1]).toEqual({ type: 'subscribe', topic: 'operations' });
    // A topic added while live is subscribed at once.
    client.subscribe('alarms');
    expect(ws.sent[2]).toEqual({ type: 'subscribe', topic: 'alarms' });
  });

  it('after a network loss, reconnects with back-off and resumes each topic from its last event', () => {
    const { client, events, resync } = setup();
    client.subscribe('operations');
    client.subscribe('alarms');
    client.start();
    let ws = last();
    ws.open();
    ws.push({ type: 'ready' });
    ws.push({ type: 'subscribed', topic: 'operations' });
    ws.push({ type: 'subscribed', topic: 'alarms' });
    ws.push(event(5, 'operations'));
    ws.push(event(9, 'alarms', 'alarm.raised'));
    expect(events.map((e) => e.id)).toEqual([5, 9]);

    ws.drop();
    expect(client.status).toBe('reconnecting');
    // 100 ms, then 200 ms, then 400 ms…
    vi.advanceTimersByTime(99);
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(2);
    last().drop();
    vi.advanceTimersByTime(199);
    expect(FakeSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(1);
    ws = last();
    expect(ws.url).toBe('ws://test/api/realtime?since=9');
    ws.open();
    ws.push({ type: 'ready' });
    expect(ws.sent.slice(1)).toEqual([
      { type: 'subscribe', topic: 'operations', since: 5 },
      { type: 'subscribe', topic: 'alarms', since: 9 },
    ]);
    // The replay may repeat what was already applied: each event is applied once.
    ws.push(event(5, 'operations'));
    ws.push(event(7, 'operations'));
    ws.push(event(9, 'alarms', 'alarm.raised'));
    expect(events.map((e) => e.id)).toEqual([5, 9, 7]);
    expect(resync).not.toHaveBeenCalled();
    expect(client.status).toBe('live');
  });

  it('asks for a refetch when it cannot resume (no event seen yet, or a truncated replay)', () => {
    const { client, resync } = setup();
    client.subscribe('operations');
    client.start();
    last().open();
    last().push({ type: 'ready' });
    last().drop();
    vi.advanceTimersByTime(100);
    last().open();
    last().push({ type: 'ready' });
    expect(resync).toHaveBeenCalledTimes(1);
    last().push({ type: 'subscribed', topic: 'operations', replayed: 10000, truncated: true });
    expect(resync).toHaveBeenCalledTimes(2);
  });

  it('caps the back-off', () => {
    const { client } = setup();
    client.start();
    for (let i = 0; i < 8; i++) {
      const n = FakeSocket.all.length;
      last().drop();
      vi.advanceTimersByTime(1600);
      expect(FakeSocket.all).toHaveLength(n + 1);
    }
  });

  it('re-authenticates the open socket with a new token, and refreshes on 4401', async () => {
    const onUnauthorized = vi.fn(async () => true);
    const { client, setToken } = setup({ onUnauthorized });
    client.start();
    last().open();
    last().push({ type: 'ready' });
    setToken('tok-2');
    client.setToken('tok-2');
    expect(last().sent.at(-1)).toEqual({ type: 'auth', token: 'tok-2' });
    last().drop(4401);
    await vi.runOnlyPendingTimersAsync();
    expect(onUnauthorized).toHaveBeenCalled();
    expect(FakeSocket.all).toHaveLength(2);
  });

  it('unsubscribes when the last user of a topic leaves, and stops on sign-out', () => {
    const { client } = setup();
    const a = client.subscribe('operation:1');
    const b = client.subscribe('operation:1');
    client.start();
    last().open();
    last().push({ type: 'ready' });
    a();
    expect(last().sent.some((m) => m.type === 'unsubscribe')).toBe(false);
    b();
    expect(last().sent.at(-1)).toEqual({ type: 'unsubscribe', topic: 'operation:1' });
    client.setToken(null);
    expect(client.status).toBe('idle');
  });

  it('goes offline with the browser, and reconnects (resuming) as soon as it is back online', () => {
    const { client, events } = setup();
    client.subscribe('operations');
    client.start();
    last().open();
    last().push({ type: 'ready' });
    last().push({ type: 'subscribed', topic: 'operations' });
    last().push(event(3, 'operations'));
    client.networkLost();
    expect(client.status).toBe('offline');
    expect(last().readyState).toBe(3);
    client.retryNow();
    expect(FakeSocket.all).toHaveLength(2);
    expect(last().url).toBe('ws://test/api/realtime?since=3');
    last().open();
    last().push({ type: 'ready' });
    expect(last().sent.at(-1)).toEqual({ type: 'subscribe', topic: 'operations', since: 3 });
    last().push(event(4, 'operations'));
    expect(events.map((e) => e.id)).toEqual([3, 4]);
    // A second "online" while connected opens nothing more.
    client.retryNow();
    expect(FakeSocket.all).toHaveLength(2);
  });

  it('a silent connection is declared dead by the heartbeat', () => {
    const { client } = setup({ heartbeatMs: 1000 });
    client.start();
    last().open();
    last().push({ type: 'ready' });
    vi.advanceTimersByTime(1000);
    expect(last().sent.at(-1)).toEqual({ type: 'ping' });
    vi.advanceTimersByTime(2000);
    expect(client.status).toBe('reconnecting');
  });
});

describe('RealtimeClient presence', () => {
  function live() {
    const ctx = setup({ heartbeatMs: 20_000 });
    ctx.client.start();
    const ws = last();
    ws.open();
    ws.push({ type: 'ready' });
    return { ...ctx, ws };
  }
  const presenceSent = (ws: FakeSocket) => ws.sent.filter((m) => m.type === 'presence');

  it('announces only once the subscription is confirmed, then on every heartbeat, and "left" on request', () => {
    const { client, ws } = live();
    const off = client.subscribe('ticket:1');
    client.setPresence('ticket:1', 'viewing');
    // Not confirmed yet: the server would answer not_subscribed.
    expect(presenceSent(ws)).toEqual([]);
    ws.push({ type: 'subscribed', topic: 'ticket:1' });
    expect(presenceSent(ws)).toEqual([{ type: 'presence', topic: 'ticket:1', state: 'viewing' }]);
    // The same state again sends nothing; a change is sent at once.
    client.setPresence('ticket:1', 'viewing');
    client.setPresence('ticket:1', 'replying');
    expect(presenceSent(ws).map((m) => m.state)).toEqual(['viewing', 'replying']);
    // The server forgets a presence after a minute: the heartbeat refreshes it.
    ws.push({ type: 'pong' });
    vi.advanceTimersByTime(20_000);
    expect(presenceSent(ws).map((m) => m.state)).toEqual(['viewing', 'replying', 'replying']);
    client.setPresence('ticket:1', 'left');
    ws.push({ type: 'pong' });
    vi.advanceTimersByTime(20_000);
    expect(presenceSent(ws).map((m) => m.state)).toEqual(['viewing', 'replying', 'replying', 'left']);
    off();
    expect(ws.sent[ws.sent.length - 1]).toEqual({ type: 'unsubscribe', topic: 'ticket:1' });
  });

  it('keeps who the server says is on a topic, tells listeners, and forgets it when the socket drops', () => {
    const { client, ws } = live();
    client.subscribe('ticket:1');
    const heard: string[] = [];
    client.onPresence((t) => heard.push(t));
    ws.push({ type: 'subscribed', topic: 'ticket:1' });
    ws.push({ type: 'presence', topic: 'ticket:1', users: [{ userId: 'u1', state: 'viewing' }, { userId: 'u2', state: 'replying' }, { userId: 'u3', state: 'dancing' }, null] });
    expect(client.presenceOf('ticket:1')).toEqual([
      { userId: 'u1', state: 'viewing' },
      { userId: 'u2', state: 'replying' },
    ]);
    // A topic this client does not follow is ignored.
    ws.push({ type: 'presence', topic: 'ticket:2', users: [{ userId: 'u9', state: 'viewing' }] });
    expect(client.presenceOf('ticket:2')).toEqual([]);
    expect(heard).toEqual(['ticket:1']);
    ws.drop();
    expect(client.presenceOf('ticket:1')).toEqual([]);
    expect(heard).toEqual(['ticket:1', 'ticket:1']);
  });

  it('announces again after a reconnect, and a refused presence does not drop the subscription', () => {
    const { client, ws } = live();
    client.subscribe('ticket:1');
    client.setPresence('ticket:1', 'replying');
    ws.push({ type: 'subscribed', topic: 'ticket:1' });
    ws.push({ type: 'error', code: 'not_subscribed', topic: 'ticket:1' });
    ws.drop();
    vi.advanceTimersByTime(100);
    const ws2 = last();
    expect(ws2).not.toBe(ws);
    ws2.open();
    ws2.push({ type: 'ready' });
    expect(ws2.sent.some((m) => m.type === 'subscribe' && m.topic === 'ticket:1')).toBe(true);
    ws2.push({ type: 'subscribed', topic: 'ticket:1' });
    expect(presenceSent(ws2)).toEqual([{ type: 'presence', topic: 'ticket:1', state: 'replying' }]);
  });
});
