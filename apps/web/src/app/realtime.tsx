import { createContext, useCallback, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import { useQueryClient, type QueryClient, type QueryKey } from '@tanstack/react-query';
import { auth } from '../lib/auth';
import { pushTelemetry } from '../lib/live-telemetry';
import { replaceRows, type CachedList } from '../lib/pages';
import { keys } from '../lib/queries';
import { RealtimeClient, type PresenceUser, type RealtimeEvent, type RealtimeStatus } from '../lib/realtime';
import { toast } from '../lib/toast';
import type { Alarm, Operation, SeriesInfo } from '../lib/types';
import { sourceText } from '../features/alarms/source';
import { applyTicketEvent, isTicketEvent } from '../features/servicedesk/live';
import { markNew } from './fresh';

const RealtimeContext = createContext<RealtimeClient | null>(null);

/** Invalidations from a burst of events are merged: at most one refetch per key every 300 ms. */
function batcher(qc: QueryClient) {
  const pending = new Map<string, QueryKey>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (key: QueryKey) => {
    pending.set(JSON.stringify(key), key);
    timer ??= setTimeout(() => {
      timer = undefined;
      const list = [...pending.values()];
      pending.clear();
      for (const k of list) void qc.invalidateQueries({ queryKey: k });
    }, 300);
  };
}

type OperationEvent = { operation: Operation; from?: string };
type TelemetryEvent = { seriesId: number; deviceId: string | null; operationId: string | null; metric: string; t: string; value: number };

/** Applies one event to the caches: direct updates where the event carries the row, refetches otherwise. */
export function applyEvent(qc: QueryClient, invalidate: (k: QueryKey) => void, e: RealtimeEvent) {
  if (isTicketEvent(e)) return applyTicketEvent(qc, invalidate, e);
  if (e.event.startsWith('operation.')) {
    const { operation } = e.data as OperationEvent;
    if (e.event === 'operation.deleted') qc.removeQueries({ queryKey: keys.operation(operation.id), exact: true });
    else qc.setQueryData(keys.operation(operation.id), operation);
    if (e.event === 'operation.created' && e.topic === 'operations') markNew(operation.id);
    invalidate(keys.operations);
    invalidate([...keys.audit]);
    return;
  }
  if (e.event.startsWith('task.')) {
    invalidate(keys.tasks(e.topic.slice('operation:'.length)));
    invalidate([...keys.audit]);
    return;
  }
  if (e.event.startsWith('allocation.')) {
    invalidate(keys.allocations(e.topic.slice('operation:'.length)));
    invalidate(keys.kpis);
    return;
  }
  if (e.event === 'telemetry') {
    const p = e.data as TelemetryEvent;
    pushTelemetry(p);
    // A series the dashboard has not listed yet: list it.
    const latest = qc.getQueryData<{ data: SeriesInfo[] }>(keys.telemetryLatest);
    if (latest && !latest.data.some((s) => s.id === p.seriesId)) invalidate(keys.telemetryLatest);
    if (p.operationId) {
      const ops = qc.getQueryData<{ data: SeriesInfo[] }>([...keys.opTelemetry(p.operationId), 'series']);
      if (ops && !ops.data.some((s) => s.id === p.seriesId)) invalidate([...keys.opTelemetry(p.operationId), 'series']);
    }
    return;
  }
  if (e.event.startsWith('alarm.')) {
    const { alarm } = e.data as { alarm: Alarm };
    // Update the row in every cached alarm list at once; the refetch then re-sorts and re-filters.
    qc.setQueriesData<CachedList<Alarm>>({ queryKey: keys.alarms }, (old) => replaceRows(old, [alarm]));
    if (e.event === 'alarm.raised') {
      markNew(alarm.id);
      toast(`${alarm.severity === 'critical' ? 'Critical alarm' : 'Alarm'}: ${alarm.message}`, {
        tone: alarm.severity === 'critical' || alarm.severity === 'major' ? 'error' : 'warning',
        description: `${sourceText(alarm.source, qc)} · ${alarm.metric}`,
      });
    }
    invalidate(keys.alarms);
    invalidate([...keys.audit]);
  }
}

/**
 * Owns the console's WebSocket while someone is signed in: follows the access token, the
 * browser's online/offline events, and applies every event to the TanStack Query cache.
 */
export function RealtimeProvider({ children }: { children: ReactNode }) {
  const qc = useQueryClient();
  const [client] = useState(() => {
    const invalidate = batcher(qc);
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    return new RealtimeClient({
      url: (since) => `${scheme}://${location.host}/api/realtime${since === null ? '' : `?since=${since}`}`,
      token: () => auth.token,
      onEvent: (e) => applyEvent(qc, invalidate, e),
      // Missed events cannot be replayed: refetch what is on screen.
      onResync: () => void qc.invalidateQueries(),
      onUnauthorized: async () => (await auth.refresh()) !== null,
    });
  });

  useEffect(() => {
    const online = () => client.retryNow();
    const offline = () => client.networkLost();
    window.addEventListener('online', online);
    window.addEventListener('offline', offline);
    const off = auth.onToken((t) => client.setToken(t));
    if (auth.token) client.start();
    return () => {
      window.removeEventListener('online', online);
      window.removeEventListener('offline', offline);
      off();
      client.stop();
    };
  }, [client]);

  return <RealtimeContext.Provider value={client}>{children}</RealtimeContext.Provider>;
}

export function useRealtimeStatus(): RealtimeStatus {
  const client = useContext(RealtimeContext);
  return useSyncExternalStore(
    (fn) => client?.onStatus(fn) ?? (() => undefined),
    () => client?.status ?? 'idle',
  );
}

/** Subscribes to a topic while the component is mounted (and `enabled`). */
export function useTopic(topic: string | null, enabled = true) {
  const client = useContext(RealtimeContext);
  useEffect(() => {
    if (!client || !topic || !enabled) return;
    return client.subscribe(topic);
  }, [client, topic, enabled]);
}

const NOBODY: PresenceUser[] = [];

/**
 * Says what this user is doing on a topic ('viewing', 'replying') while the component is mounted,
 * 'left' when it unmounts, and answers who is there (everyone, this user included). The topic must
 * also be subscribed (useTopic).
 */
export function usePresence(topic: string | null, state: 'viewing' | 'replying'): PresenceUser[] {
  const client = useContext(RealtimeContext);
  useEffect(() => {
    if (!client || !topic) return;
    return () => client.setPresence(topic, 'left');
  }, [client, topic]);
  useEffect(() => {
    if (client && topic) client.setPresence(topic, state);
  }, [client, topic, state]);
  const subscribe = useCallback((fn: () => void) => client?.onPresence((t) => t === topic && fn()) ?? (() => undefined), [client, topic]);
  return useSyncExternalStore(subscribe, () => (client && topic ? client.presenceOf(topic) : NOBODY));
}
