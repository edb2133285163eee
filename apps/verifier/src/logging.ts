import { ConsoleLogger, Logger, LogLevel as NestLogLevel } from '@nestjs/common';
import type { KafkaLog } from '@app/kafka';
import { LogLevel } from './config/config';

const LEVELS: Record<LogLevel, NestLogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/**
 * Structured JSON lines. No request is logged with its body, and no key, secret or hash is ever
 * passed to the logger: a verifier sees every key of every customer.
 */
export const jsonLogger = (level: LogLevel) => new ConsoleLogger({ json: true, logLevels: LEVELS[level] });

/** Kafka client messages as structured lines of a Nest logger. */
export const kafkaLogOf = (logger: Logger): KafkaLog => ({
  warn: (msg, context) => logger.warn({ msg, ...context }),
  error: (msg, context) => logger.error({ msg, ...context }),
});
