import type { ArgumentsHost } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiKeyNotFoundError, KeyBusyError, PreconditionFailedError } from '../errors';
import { Metrics } from '../metrics/metrics';
import { ErrorFilter } from './error.filter';
import { notFoundWaitMs } from './not-found-floor';
import { RouteTable } from './route-table';

describe('notFoundWaitMs', () => {
  const at = (monotonic: number, epoch = 1_000_000) => ({ monotonic, epoch });

  it('waits for what is left of the floor since the request began', () => {
    expect(notFoundWaitMs(20, { startedAt: 100, deadline: 2_000_000 }, at(103))).toBe(17);
    expect(notFoundWaitMs(20, { startedAt: 100, deadline: 2_000_000 }, at(100))).toBe(20);
  });

  it('does not wait once the floor has passed, or when there is none', () => {
    expect(notFoundWaitMs(20, { startedAt: 100, deadline: 2_000_000 }, at(120))).toBe(0);
    expect(notFoundWaitMs(20, { startedAt: 100, deadline: 2_000_000 }, at(150))).toBe(0);
    expect(notFoundWaitMs(0, { startedAt: 100, deadline: 2_000_000 }, at(100))).toBe(0);
  });

  it('never waits past the deadline', () => {
    expect(notFoundWaitMs(20, { startedAt: 100, deadline: 1_000_005 }, at(103))).toBe(5);
    expect(notFoundWaitMs(20, { startedAt: 100, deadline: 1_000_000 }, at(103))).toBe(0);
    expect(notFoundWaitMs(20, { startedAt: 100, deadline: 999_000 }, at(103))).toBe(0);
  });
});

describe('ErrorFilter: the 404 floor', () => {
  const FLOOR = 20;

  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** A request that began now, with a deadline `deadlineMs` away, and a response that records its answer. */
  function exchange(deadlineMs = 8000) {
    const abort = new AbortController();
    const request = {
      requestId: 'r-1',
      path: '/api/v1/api_keys/7',
      method: 'GET',
      startedAt: performance.now(),
      bounds: { deadline: Date.now() + deadlineMs, signal: abort.signal },
    } as unknown as Request;
    const sent: Array<{ status: number; body: unknown }> = [];
    let status = 0;
    const response = {
      setHeader: jest.fn(),
      status(code: number) {
        status = code;
        return this;
      },
      json(body: unknown) {
        sent.push({ status, body });
        return this;
      },
    } as unknown as Response;
    const host = {
      switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
    } as unknown as ArgumentsHost;
    return { host, sent, abort };
  }

  const filter = (floorMs = FLOOR) =>
    new ErrorFilter(
      { methodsOf: () => [] } as unknown as RouteTable,
      { refused: { inc: jest.fn() } } as unknown as Metrics,
      { notFoundFloorMs: floorMs },
    );

  it('answers a key id’s 404 no earlier than the floor after the request began', async () => {
    const { host, sent } = exchange();
    await jest.advanceTimersByTimeAsync(3); // the handler's own work
    filter().catch(new ApiKeyNotFoundError(), host);
    await jest.advanceTimersByTimeAsync(FLOOR - 3 - 1);
    expect(sent).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(1);
    expect(sent[0].status).toBe(404);
  });

  it('answers at once when the handler already took longer than the floor', async () => {
    const { host, sent } = exchange();
    await jest.advanceTimersByTimeAsync(FLOOR + 5);
    filter().catch(new ApiKeyNotFoundError(), host);
    await jest.advanceTimersByTimeAsync(0);
    expect(sent).toHaveLength(1);
  });

  it('never waits past the request’s deadline', async () => {
    const { host, sent } = exchange(8);
    await jest.advanceTimersByTimeAsync(3);
    filter().catch(new ApiKeyNotFoundError(), host);
    await jest.advanceTimersByTimeAsync(4);
    expect(sent).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(1);
  });

  it('stops waiting when the client goes away', async () => {
    const { host, sent, abort } = exchange();
    filter().catch(new ApiKeyNotFoundError(), host);
    await jest.advanceTimersByTimeAsync(2);
    expect(sent).toEqual([]);
    abort.abort();
    await jest.advanceTimersByTimeAsync(0);
    expect(sent).toHaveLength(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('holds no other answer, and none when the floor is 0', () => {
    for (const error of [new KeyBusyError(), new PreconditionFailedError(3)]) {
      const { host, sent } = exchange();
      filter().catch(error, host);
      expect(sent).toHaveLength(1);
    }
    const { host, sent } = exchange();
    filter(0).catch(new ApiKeyNotFoundError(), host);
    expect(sent).toHaveLength(1);
    expect(jest.getTimerCount()).toBe(0);
  });
});
