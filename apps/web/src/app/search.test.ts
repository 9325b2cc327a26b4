import { describe, expect, it } from 'vitest';
import { parseAlarmsSearch, parseAuditSearch, parseOperationsSearch, parseTelemetrySearch, parseUsersSearch } from './search';

const ID = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

describe('URL search parsers keep only what the API accepts', () => {
  it('operations: known statuses (list or comma text), priority and sort; the query trimmed to 200', () => {
    expect(parseOperationsSearch({ q: 'x'.repeat(300), status: 'pending,bogus,failed', priority: 'high', sort: '-name' })).toEqual({
      q: 'x'.repeat(200),
      status: ['pending', 'failed'],
      priority: 'high',
      sort: '-name',
    });
    expect(parseOperationsSearch({ status: ['in_progress', 1], priority: 'urgent', sort: 'id', q: '' })).toEqual({ status: ['in_progress'] });
  });

  it('alarms: a known view and severity only', () => {
    expect(parseAlarmsSearch({ view: 'unacknowledged', severity: 'major' })).toEqual({ view: 'unacknowledged', severity: 'major' });
    expect(parseAlarmsSearch({ view: 'mine', severity: 'fatal' })).toEqual({});
  });

  it('users: the query and an active/inactive status', () => {
    expect(parseUsersSearch({ q: 'ann', status: 'inactive' })).toEqual({ q: 'ann', status: 'inactive' });
    expect(parseUsersSearch({ status: 'deleted' })).toEqual({});
  });

  it('telemetry: a device id, a preset or a custom range with dates, a known interval and aggregate', () => {
    expect(parseTelemetrySearch({ device: ID, metric: 'temp', range: '7d', interval: '1h', agg: 'max' })).toEqual({
      device: ID,
      metric: 'temp',
      range: '7d',
      interval: '1h',
      agg: 'max',
    });
    expect(parseTelemetrySearch({ range: 'custom', from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' })).toEqual({
      range: 'custom',
      from: '2026-01-01T00:00:00Z',
      to: '2026-01-02T00:00:00Z',
    });
    // Dates count only with a custom range; junk is dropped.
    expect(parseTelemetrySearch({ device: 'not-an-id', range: '2y', from: '2026-01-01T00:00:00Z', interval: '2m', agg: 'median' })).toEqual({});
    expect(parseTelemetrySearch({ range: 'custom', from: 'yesterday' })).toEqual({ range: 'custom' });
  });

  it('audit: bounded text filters, a user id and valid dates', () => {
    expect(parseAuditSearch({ entityType: 'user', action: 'a'.repeat(150), userId: ID, from: '2026-03-01T00:00:00Z', to: 'soon' })).toEqual({
      entityType: 'user',
      action: 'a'.repeat(100),
      userId: ID,
      from: '2026-03-01T00:00:00Z',
    });
    expect(parseAuditSearch({ userId: 'admin', entityId: 'e'.repeat(80) })).toEqual({ entityId: 'e'.repeat(64) });
  });
});
