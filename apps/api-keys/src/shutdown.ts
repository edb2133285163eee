import { IncomingMessage, Server, ServerResponse } from 'node:http';

/** How the process ends: by the signal that stopped it (the shell sees 128 + N), or with an exit code. */
export type Ending = { readonly signal: NodeJS.Signals } | { readonly code: number };

export interface ShutdownLog {
  info(msg: string, context: Record<string, unknown>): void;
  warn(msg: string, context: Record<string, unknown>): void;
  error(msg: string, context: Record<string, unknown>): void;
}

export interface BoundedShutdownOptions {
  /** The whole shutdown, from the first signal to the end of the process. */
  readonly timeoutMs: number;
  /** Readiness turns 503, so load balancers stop sending. */
  readonly onDraining: () => void;
  /** Stops the rest: the projector leaves its group, the producer flushes, the store closes. */
  readonly closeApp: () => Promise<void>;
  readonly log: ShutdownLog;
  readonly end: (ending: Ending) => void;
}

/** Of the bound, at most this much is kept for closing the app after the requests have drained. */
const CLOSE_RESERVE_MS = 2000;

/**
 * A graceful shutdown with a bound, whatever Kafka and the store are doing. On the first SIGTERM
 * or SIGINT: readiness turns 503, the server accepts no new connections, idle keep-alive
 * connections close and answers still to come carry `Connection: close`. Requests in flight may
 * finish until the bound minus a reserve for closing (2 s, or a quarter of a shorter bound); then
 * their connections are cut (a cut PUT's event may still land: it was appended or not, the log
 * decides). Then the app closes. The process ends by the signal once that is done, or with exit
 * code 1 when the bound passes first, abandoning what is left. A second signal ends it at once.
 */
export class BoundedShutdown {
  private readonly inFlight = new Set<ServerResponse>();
  private draining = false;
  private ended = false;
  private onDrained: (() => void) | null = null;

  constructor(
    private readonly server: Server,
    private readonly options: BoundedShutdownOptions,
  ) {
    // Ahead of the app's own listener, so a request that arrives while draining gets its header in time.
    server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => this.track(response));
  }

  /** Handles the signals of `target` (the process). */
  listen(target: Pick<NodeJS.Process, 'on'>, signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): void {
    for (const signal of signals) target.on(signal, () => void this.shutDown(signal));
  }

  async shutDown(signal: NodeJS.Signals): Promise<void> {
    const { log, timeoutMs } = this.options;
    if (this.draining) {
      log.warn('second signal: exiting now', { signal });
      return this.end({ signal });
    }
    this.draining = true;
    const began = Date.now();
    const bound = setTimeout(() => {
      log.error('shutdown did not finish within its bound: exiting, abandoning what is left', {
        timeoutMs,
        requestsInFlight: this.inFlight.size,
      });
      this.end({ code: 1 });
    }, timeoutMs);
    log.info('shutting down', { signal, timeoutMs, requestsInFlight: this.inFlight.size });
    this.options.onDraining();
    this.server.close();
    for (const response of this.inFlight) if (!response.headersSent) response.setHeader('Connection', 'close');
    this.server.closeIdleConnections();

    if (!(await this.requestsFinished(timeoutMs - Math.min(CLOSE_RESERVE_MS, timeoutMs / 4)))) {
      log.warn('requests still in flight at the drain deadline: cutting their connections', {
        requestsInFlight: this.inFlight.size,
      });
      this.server.closeAllConnections();
    }
    try {
      await this.options.closeApp();
    } catch (error) {
      clearTimeout(bound);
      if (this.ended) return;
      log.error('error while shutting down', { error: error instanceof Error ? error.message : String(error) });
      return this.end({ code: 1 });
    }
    clearTimeout(bound);
    if (this.ended) return;
    log.info('stopped', { signal, tookMs: Date.now() - began });
    this.end({ signal });
  }

  private end(ending: Ending): void {
    if (this.ended) return;
    this.ended = true;
    this.options.end(ending);
  }

  private track(response: ServerResponse): void {
    this.inFlight.add(response);
    if (this.draining) response.setHeader('Connection', 'close');
    response.once('close', () => {
      this.inFlight.delete(response);
      if (!this.draining) return;
      this.server.closeIdleConnections();
      if (this.inFlight.size === 0) this.onDrained?.();
    });
  }

  /** True once no request is in flight, false if some still are after `withinMs`. */
  private requestsFinished(withinMs: number): Promise<boolean> {
    if (this.inFlight.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), withinMs);
      this.onDrained = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }
}
