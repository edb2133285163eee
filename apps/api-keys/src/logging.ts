import { ConsoleLogger, Logger, LogLevel as NestLogLevel } from '@nestjs/common';
import type { KafkaLog } from '@app/kafka';
import { LogLevel } from './config/config';

const LEVELS: Record<LogLevel, NestLogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

/** Structured JSON lines. Keys' secrets and hashes are never passed to the logger. */
export const jsonLogger = (level: LogLevel) => new ConsoleLogger({ json: true, logLevels: LEVELS[level] });

/** Kafka client messages as structured lines of a Nest logger. */
export const kafkaLogOf = (logger: Logger): KafkaLog => ({
  warn: (msg, context) => logger.warn({ msg, ...context }),
  error: (msg, context) => logger.error({ msg, ...context }),
});

/** The same format on stderr, for commands whose stdout is their result. */
class StderrJsonLogger extends ConsoleLogger {
  protected override printMessages(messages: unknown[], context?: string, logLevel?: NestLogLevel): void {
    super.printMessages(messages, context, logLevel, 'stderr');
  }
}

export const stderrJsonLogger = (level: LogLevel) => new StderrJsonLogger({ json: true, logLevels: LEVELS[level] });
