import { Kafka, logLevel, LogEntry } from 'kafkajs';

export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Bound on connecting and on each request, so failures surface in seconds, not minutes. */
  readonly requestTimeoutMs: number;
}

/** Where kafkajs's own log lines go (our structured logger). */
export interface KafkaLog {
  warn(message: string, context: Record<string, unknown>): void;
  error(message: string, context: Record<string, unknown>): void;
}

// Warnings we have weighed and accepted: we bound the idempotent producer's retries on purpose
// (a request must fail in seconds), and the broker's own sequence checks still hold within them.
const ACCEPTED_WARNINGS = [/Limiting retries for the idempotent producer/];

export function createKafka(settings: KafkaSettings, log: KafkaLog): Kafka {
  return new Kafka({
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    connectionTimeout: Math.min(settings.requestTimeoutMs, 3000),
    requestTimeout: settings.requestTimeoutMs,
    // Bounded: kafkajs would otherwise retry for a very long time while callers wait.
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...context } = entry;
        if (ACCEPTED_WARNINGS.some((pattern) => pattern.test(message))) return;
        // kafkajs says ERROR for every failed attempt it then retries (a broker restarting, a
        // rebalance). Those are warnings for us; what finally fails reaches our code as an error
        // and is logged there.
        if (level <= logLevel.WARN) log.warn(`kafkajs: ${message}`, context);
      },
  });
}
