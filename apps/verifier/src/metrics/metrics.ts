import { Injectable } from '@nestjs/common';
import { VERIFICATION_CODES } from '@app/domain';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const PREFIX = 'api_keys_verifier_';

/**
 * What operators watch (GET /metrics). The counters and the histogram are fed where things
 * happen; keys held and the state topic's lag are measured when scraped (see HealthRoutes).
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly verifications = new Counter({
    name: `${PREFIX}verifications_total`,
    help: 'Verifications answered 200, by code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly verifyDuration = new Histogram({
    name: `${PREFIX}verify_duration_seconds`,
    help: 'POST /v1/keys/verify from its first byte to its answer, by HTTP status (a min_position wait included).',
    labelNames: ['status'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5],
    registers: [this.registry],
  });

  readonly refused = new Counter({
    name: `${PREFIX}refused_total`,
    help: 'Verify requests not answered 200, by why: token, budget, body, not_ready, min_position.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly keysHeld = new Gauge({
    name: `${PREFIX}keys_held`,
    help: 'Live keys in memory.',
    registers: [this.registry],
  });

  readonly stateLag = new Gauge({
    name: `${PREFIX}state_topic_lag_records`,
    help: 'Records of the state topic not yet applied, per partition (log end - 1 - applied offset).',
    labelNames: ['partition'] as const,
    registers: [this.registry],
  });

  readonly unreadable = new Counter({
    name: `${PREFIX}unreadable_state_records_total`,
    help: 'State records that could not be read; their key is dropped (NOT_FOUND) until a readable record follows.',
    registers: [this.registry],
  });

  readonly usageRecords = new Counter({
    name: `${PREFIX}usage_records_published_total`,
    help: 'Usage records (one flush, up to 500 keys of one partition) the broker acknowledged on the usage topic.',
    registers: [this.registry],
  });

  readonly usageFailures = new Counter({
    name: `${PREFIX}usage_publish_failures_total`,
    help: 'Usage flushes the broker did not take; each is sent again, unchanged, at the next flush.',
    registers: [this.registry],
  });

  private readonly byCode = new Map<string, Counter.Internal>();
  private readonly byStatus = new Map<number, Histogram.Internal<'status'>>();

  /**
   * The verifications counter of one code, and the duration histogram of one status: prom-client
   * finds a labelled series by hashing its labels at each call; on the verify route that showed,
   * so the route holds the few series it uses.
   */
  verificationsOf(code: string): Counter.Internal {
    let series = this.byCode.get(code);
    if (!series) this.byCode.set(code, (series = this.verifications.labels({ code })));
    return series;
  }

  verifyDurationOf(status: number): Histogram.Internal<'status'> {
    let series = this.byStatus.get(status);
    if (!series) this.byStatus.set(status, (series = this.verifyDuration.labels({ status })));
    return series;
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
    // Every code shows from the start, at 0, so a rate over it never starts from a gap.
    for (const code of VERIFICATION_CODES) this.verifications.inc({ code }, 0);
  }
}
