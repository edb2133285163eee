import { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable, Logger } from '@nestjs/common';
import { failure, sendJson, sendText, success } from '../http/envelope';
import { KeyIndex } from '../key-index/key-index';
import { Metrics } from '../metrics/metrics';
import { StateReader } from '../state-reader/state-reader';

const LAG_TIMEOUT_MS = 1500;
const METRICS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Route = (head: boolean, res: ServerResponse) => Promise<void>;

/**
 * Liveness (`/health/live`: 200 whenever the process answers), readiness (`/health/ready`, also
 * `/health`: 200 once the state topic is read up to the log ends found at start and followed, 503
 * naming why not: catching up, reader down, shutting down), the Prometheus metrics (GET or HEAD),
 * and 404 in the API's envelope for everything else. Served by the bare HTTP server, as the verify
 * route (http-server.ts says why).
 */
@Injectable()
export class HealthRoutes {
  private readonly logger = new Logger('http');
  private readonly routes: ReadonlyMap<string, Route> = new Map<string, Route>([
    ['/health/live', (head, res) => this.live(head, res)],
    ['/health', (head, res) => this.ready(head, res)],
    ['/health/ready', (head, res) => this.ready(head, res)],
    ['/metrics', (head, res) => this.scrape(head, res)],
  ]);

  constructor(
    private readonly reader: StateReader,
    private readonly index: KeyIndex,
    private readonly metrics: Metrics,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    const head = req.method === 'HEAD';
    const path = (req.url ?? '/').split('?')[0].replace(/(.)\/$/, '$1');
    const route = req.method === 'GET' || head ? this.routes.get(path) : undefined;
    if (!route) return sendJson(res, 404, failure(404, 'Not found', ['no such route'], 'See errors.'), {}, head);
    route(head, res).catch((error: unknown) => {
      this.logger.error({ msg: 'unexpected error', error: String(error) });
      if (!res.headersSent)
        sendJson(res, 500, failure(500, 'Error', ['an unexpected error occurred'], 'See errors.'), {}, head);
      else res.destroy();
    });
  }

  private live(head: boolean, res: ServerResponse): Promise<void> {
    return Promise.resolve(sendJson(res, 200, success(200, 'alive', { instance: this.reader.instanceId }), {}, head));
  }

  private ready(head: boolean, res: ServerResponse): Promise<void> {
    this.answerReady(head, res);
    return Promise.resolve();
  }

  private answerReady(head: boolean, res: ServerResponse): void {
    const problems = this.reader.problems();
    if (problems.length === 0) {
      const applied = Object.fromEntries(this.index.appliedOffsets());
      const data = { instance: this.reader.instanceId, keys: this.index.size, applied };
      return sendJson(res, 200, success(200, 'ok', data), {}, head);
    }
    const body = failure(503, 'Service not ready', problems, 'The verifier is starting, catching up or stopping.');
    sendJson(res, 503, body, { 'Retry-After': '1' }, head);
  }

  private async scrape(head: boolean, res: ServerResponse): Promise<void> {
    this.metrics.keysHeld.set(this.index.size);
    let timer: NodeJS.Timeout | undefined;
    const lag = await Promise.race([
      this.reader.lag().catch(() => null),
      new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), LAG_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    // Unknown (Kafka does not answer): no figure rather than a stale one.
    this.metrics.stateLag.reset();
    for (const [partition, records] of lag ?? []) this.metrics.stateLag.set({ partition: String(partition) }, records);
    sendText(res, 200, METRICS_TYPE, await this.metrics.registry.metrics(), head);
  }
}
