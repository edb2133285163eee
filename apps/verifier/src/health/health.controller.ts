import { Controller, Get, Header, Res } from '@nestjs/common';
import type { Response } from 'express';
import { failure, success } from '../http/envelope';
import { KeyIndex } from '../key-index/key-index';
import { Metrics } from '../metrics/metrics';
import { StateReader } from '../state-reader/state-reader';

const LAG_TIMEOUT_MS = 1500;

/**
 * Liveness (`/health/live`: 200 whenever the process answers), readiness (`/health/ready`, also
 * `/health`: 200 once the state topic is read up to the log ends found at start and followed, 503
 * naming why not: catching up, reader down, shutting down) and the Prometheus metrics.
 */
@Controller()
export class HealthController {
  constructor(
    private readonly reader: StateReader,
    private readonly index: KeyIndex,
    private readonly metrics: Metrics,
  ) {}

  @Get('health/live')
  live() {
    return success(200, 'alive', { instance: this.reader.instanceId });
  }

  @Get(['health', 'health/ready'])
  ready(@Res({ passthrough: true }) res: Response) {
    const problems = this.reader.problems();
    const applied = Object.fromEntries([...this.index.appliedOffsets()].map(([p, offset]) => [p, offset]));
    if (problems.length === 0)
      return success(200, 'ok', { instance: this.reader.instanceId, keys: this.index.size, applied });
    res.status(503).setHeader('Retry-After', '1');
    return failure(503, 'Service not ready', problems, 'The verifier is starting, catching up or stopping.');
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
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
    return this.metrics.registry.metrics();
  }
}
