/** When a request began and when it must be answered by: what the floor is measured against. */
export interface FloorClock {
  /** `performance.now()` when the request began (RequestMiddleware). */
  readonly startedAt: number;
  /** Epoch milliseconds: the request's deadline, never waited past. */
  readonly deadline: number;
}

/**
 * How much longer a "not your key" 404 must wait so that it leaves `floorMs` after the request
 * began, and never after its deadline. A foreign key and a never-used id cost the store different
 * times (a found document is read, decoded and sent; none is not); answering both at the same
 * floor, well above either's cost, leaves their timing nothing to tell. 0 when no wait is due.
 */
export function notFoundWaitMs(
  floorMs: number,
  { startedAt, deadline }: FloorClock,
  now: { monotonic: number; epoch: number } = { monotonic: performance.now(), epoch: Date.now() },
): number {
  if (floorMs <= 0) return 0;
  const untilFloor = startedAt + floorMs - now.monotonic;
  const untilDeadline = deadline - now.epoch;
  return Math.max(0, Math.min(untilFloor, untilDeadline));
}

/**
 * Resolves after `ms`, or at once when `signal` fires (the client has gone: nobody is left to
 * hide anything from). Never rejects. Holds nothing but a timer.
 */
export function waitOut(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Waits out the floor (see notFoundWaitMs). Node's timers count in whole milliseconds of a loop
 * time that may lag the clock, so a timer can fire a little early: the wait is measured again
 * until none is due. Ends early if the client goes; never rejects.
 */
export async function holdUntilFloor(floorMs: number, clock: FloorClock, signal?: AbortSignal): Promise<void> {
  for (let ms = notFoundWaitMs(floorMs, clock); ms > 0 && !signal?.aborted; ms = notFoundWaitMs(floorMs, clock)) {
    await waitOut(Math.ceil(ms), signal);
  }
}
