import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';

type Gc = (options: object) => void;
let gc: Gc | null = null;

/**
 * One full garbage collection, now. The "last resort" flavour compacts the old space and gives its
 * free pages back (a plain one left it a third empty at 100,000 keys: heap 73-77 MB for 54 MB live,
 * against 57 MB after this one). The documented way to reach V8's gc without --expose-gc, looked
 * up once (each lookup makes a new context).
 */
export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as Gc;
  }
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}

/** How often the collector looks whether the instance went quiet. */
export const IDLE_CHECK_MS = 5000;

/**
 * Gives memory back once traffic stops. V8 collects when allocation asks it to, so a verifier that
 * goes quiet after a burst keeps the burst's garbage: measured at 100,000 keys, 129 MB of RSS when
 * ready, 157 MB still 15 s after 15 s of 20,000 verifications a second, the heap holding 8 MB more
 * than it did (none of it live). So after a check interval with activity (requests, a usage flush)
 * comes one without any, one full collection runs: no request is there to wait for it, and under
 * steady traffic V8 keeps its own pace (its heap bounded by main.ts's growth factor).
 */
@Injectable()
export class IdleCollector implements OnApplicationBootstrap, OnApplicationShutdown {
  /** What a collection does (tests replace it). */
  collect: () => void = collectGarbage;
  private active = false;
  private activeBefore = false;
  private timer: NodeJS.Timeout | null = null;

  /** Something happened that left garbage behind (a request, a usage flush). */
  activity(): void {
    this.active = true;
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.check(), IDLE_CHECK_MS);
    // Never what keeps a process alive.
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One check: collects when the interval just ended was quiet and the one before it was not. */
  check(): void {
    if (!this.active && this.activeBefore) this.collect();
    this.activeBefore = this.active;
    this.active = false;
  }
}
