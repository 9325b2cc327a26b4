/** A WebSocket test client for the realtime gateway: records every message and can wait for one. */
import WebSocket from 'ws';

export interface Msg {
  type: string;
  topic?: string;
  id?: number;
  event?: string;
  code?: string;
  reason?: string;
  replayed?: number;
  users?: { userId: string; state: string }[];
  data?: Record<string, unknown> & { ticket?: { id: string; subject: string }; operation?: { id: string; name: string }; agentId?: string };
}

export async function connect(base: string, query: string) {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/api/realtime?${query}`);
  const messages: Msg[] = [];
  const waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  ws.on('message', (raw) => {
    const m = JSON.parse(String(raw)) as Msg;
    messages.push(m);
    for (const w of [...waiters]) if (w.pred(m)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = (pred: (m: Msg) => boolean, ms = 5_000) =>
    new Promise<Msg>((resolve, reject) => {
      const hit = messages.find(pred);
      if (hit) return resolve(hit);
      const timer = setTimeout(() => reject(new Error(`timeout; got ${JSON.stringify(messages)}`)), ms);
      waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  const send = (m: unknown) => ws.send(JSON.stringify(m));
  /** Subscribes (replaying from `since` when given) and resolves with the answer: subscribed or error. */
  const subscribe = async (topic: string, since?: number) => {
    send(since === undefined ? { type: 'subscribe', topic } : { type: 'subscribe', topic, since });
    return next((m) => m.topic === topic && (m.type === 'subscribed' || m.type === 'error'));
  };
  return { ws, messages, next, closed, send, subscribe, events: () => messages.filter((m) => m.type === 'event') };
}
