import { requestIdFrom, traceIdOf } from './request-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('requestIdFrom', () => {
  it('takes over a usable x-request-id', () => {
    expect(requestIdFrom({ 'x-request-id': 'test-3f2a.b_c:d@e+f=g/h' })).toBe('test-3f2a.b_c:d@e+f=g/h');
  });

  it.each([
    ['a space', 'two words'],
    ['a quote', 'a"b'],
    ['a line break', 'a\nb'],
    ['129 characters', 'x'.repeat(129)],
    ['nothing', ''],
  ])('replaces an x-request-id with %s by a new UUID', (_case, given) => {
    const id = requestIdFrom({ 'x-request-id': given });
    expect(id).not.toBe(given);
    expect(id).toMatch(UUID);
  });

  it('uses the trace id of a W3C traceparent when there is no x-request-id', () => {
    expect(requestIdFrom({ traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` })).toBe(TRACE_ID);
  });

  it('prefers x-request-id to traceparent', () => {
    expect(requestIdFrom({ 'x-request-id': 'mine', traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` })).toBe('mine');
  });

  it('makes a new UUID for each request that brings none', () => {
    const first = requestIdFrom({});
    expect(first).toMatch(UUID);
    expect(requestIdFrom({})).not.toBe(first);
  });
});

describe('traceIdOf', () => {
  it.each([
    ['version ff', `ff-${TRACE_ID}-00f067aa0ba902b7-01`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['an all-zero parent id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['upper-case hex', `00-${TRACE_ID.toUpperCase()}-00f067aa0ba902b7-01`],
    ['a short trace id', `00-${TRACE_ID.slice(1)}-00f067aa0ba902b7-01`],
  ])('refuses %s', (_case, header) => {
    expect(traceIdOf(header)).toBeUndefined();
  });
});
