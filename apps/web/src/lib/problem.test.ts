import { describe, expect, it } from 'vitest';
import { ApiError, errorFor, fieldErrors, toApiError } from './problem';

const problem = (errors: { path: string; message: string }[]) => new ApiError({ status: 400, code: 'validation_failed', detail: 'Invalid body', errors });

describe('fieldErrors', () => {
  it.each([
    ['body.name', 'name'],
    ['body.location.lat', 'location.lat'],
    ['body.tags.2', 'tags.2'],
    ['body.tags[2]', 'tags.2'],
    ['querystring.q', 'q'],
    ['endAt', 'endAt'],
    ['assignees', 'assignees'],
    ['body', '_form'],
  ])('maps %s to the field %s', (path, field) => {
    expect(fieldErrors(problem([{ path, message: 'bad' }]))).toEqual({ [field]: 'bad' });
  });

  it('keeps the first message of a field', () => {
    expect(fieldErrors(problem([{ path: 'body.name', message: 'first' }, { path: 'body.name', message: 'second' }]))).toEqual({ name: 'first' });
  });

  it('is empty for other errors', () => {
    expect(fieldErrors(new Error('x'))).toEqual({});
    expect(fieldErrors(new ApiError({ status: 409, code: 'conflict', detail: 'Taken' }))).toEqual({});
  });

  it('errorFor finds a field or any of its parts', () => {
    const errors = fieldErrors(problem([{ path: 'body.tags.1', message: 'too long' }]));
    expect(errorFor(errors, 'tags')).toBe('too long');
    expect(errorFor(errors, 'name')).toBeUndefined();
  });
});

describe('toApiError', () => {
  it('reads a problem+json body', () => {
    const e = toApiError({ status: 403, code: 'forbidden', detail: 'Missing operations:create', title: 'Forbidden' }, new Response(null, { status: 403 }));
    expect(e).toMatchObject({ status: 403, code: 'forbidden', detail: 'Missing operations:create' });
  });

  it('keeps the problem’s other members as extra', () => {
    const e = toApiError({ status: 409, code: 'invitation_pending', detail: 'Pending', title: 'Conflict', type: 'about:blank', invitationId: 'inv-1' }, new Response(null, { status: 409 }));
    expect(e.extra).toEqual({ invitationId: 'inv-1' });
  });
  it('turns a failed fetch into a network error', () => {
    expect(toApiError(undefined, undefined)).toMatchObject({ status: 0, code: 'network' });
  });
  it('falls back to the HTTP status', () => {
    expect(toApiError('<html>', new Response(null, { status: 502, statusText: 'Bad Gateway' }))).toMatchObject({ status: 502, detail: '502 Bad Gateway' });
  });
});
