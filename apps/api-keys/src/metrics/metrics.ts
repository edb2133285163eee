import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const PREFIX = 'api_keys_';

/**
 * What operators watch, in Prometheus form (GET /metrics). Counters and histograms are fed where
 * things happen; the gauges that describe dependencies (projection lag, Kafka and MongoDB up) are
 * measured when scraped (see MetricsController).
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly requestDuration = new Histogram({
    name: `${PREFIX}http_request_duration_seconds`,
    help: 'HTTP requests by route template, method and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly usageRecords = new Counter({
    name: `${PREFIX}usage_records_total`,
    help: "Keys' counts the usage projector read from the usage topic: applied, repeat (already applied); unreadable counts whole records.",
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly usagePublishFailures = new Counter({
    name: `${PREFIX}usage_publish_failures_total`,
    help: "Flushes of the authentication's usage the broker did not take; each is sent again at the next flush.",
    registers: [this.registry],
  });

  readonly eventsAppended = new Counter({
    name: `${PREFIX}events_appended_total`,
    help: 'Events appended to the log, by event type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly projectionWait = new Histogram({
    name: `${PREFIX}read_your_writes_wait_seconds`,
    help: 'How long writes waited for their own event to be projected; outcome "timeout" answered 202.',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly accepted = new Counter({
    name: `${PREFIX}accepted_not_visible_total`,
    help: 'Writes answered 202: durable in the log, not yet projected within the bound.',
    registers: [this.registry],
  });

  readonly batchSize = new Histogram({
    name: `${PREFIX}projector_batch_records`,
    help: 'Records per batch the projector applied.',
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
    registers: [this.registry],
  });

  readonly deadLetters = new Counter({
    name: `${PREFIX}dead_letters_total`,
    help: 'Records the projector could not read and set aside to the dead-letter topic.',
    registers: [this.registry],
  });

  readonly refused = new Counter({
    name: `${PREFIX}rate_limited_total`,
    help: 'Requests answered 429, by whose budget ran out: a key, an address (failed authentications), a key queue.',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });

  readonly projectionLag = new Gauge({
    name: `${PREFIX}projection_lag_records`,
    help: 'Per partition of the events topic: records in the log not yet applied to the read model.',
    labelNames: ['partition'] as const,
    registers: [this.registry],
  });

  readonly dependencyUp = new Gauge({
    name: `${PREFIX}dependency_up`,
    help: '1 when the dependency answered its last check, 0 when not.',
    labelNames: ['dependency'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
  }
}
