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
        if (level === logLevel.ERROR) log.error(`kafkajs: ${message}`, context);
        else log.warn(`kafkajs: ${message}`, context);
      },
  });
}
