import { describe, expect, it } from 'vitest';
import { parsePeriodSearch, parseTicketsSearch, ticketsQuery } from './search';

const ID = '01a1fc44-32fc-761c-867e-489d4d9f18fd';

describe('parseTicketsSearch', () => {
  it('keeps what the API accepts and drops the rest', () => {
    expect(
      parseTicketsSearch({
        view: 'unassigned',
        status: 'open,new,bogus,open',
        priority: ['urgent', 'critical'],
        teamId: ID,
        assigneeId: 'not-an-id',
        category: '  Billing  ',
        q: '#12',
        sort: 'slaNextDueAt',
      }),
    ).toEqual({ view: 'unassigned', status: ['open', 'new'], priority: ['urgent'], teamId: ID, category: 'Billing', q: '#12', sort: 'slaNextDueAt' });
  });
  it('the default view and unknown values leave nothing behind', () => {
    expect(parseTicketsSearch({ view: 'all', status: 'x', sort: 'name', q: '   ' })).toEqual({});
  });
  it('turns into the API query', () => {
    expect(ticketsQuery({ status: ['open', 'new'], view: 'my_open' }, 'c1', 20)).toEqual({ limit: 20, cursor: 'c1', view: 'my_open', status: 'open,new' });
  });
});

describe('parsePeriodSearch', () => {
  it('accepts the offered periods only (30 days is the default)', () => {
    expect(parsePeriodSearch({ days: '7', teamId: ID })).toEqual({ days: 7, teamId: ID });
    expect(parsePeriodSearch({ days: 30 })).toEqual({});
    expect(parsePeriodSearch({ days: 12, teamId: 'x' })).toEqual({});
  });
});
