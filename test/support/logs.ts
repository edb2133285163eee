import { inspect } from 'node:util';
import { ConsoleLogger, LogLevel } from '@nestjs/common';

/**
 * The service's JSON logger at its most verbose, keeping every line in memory instead of writing
 * it out, so a suite can assert on what the service logs (secrets never, for one).
 */
export class CapturedLogs extends ConsoleLogger {
  readonly lines: string[] = [];

  constructor() {
    super({ json: true, logLevels: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] });
  }

  protected override printAsJson(
    message: unknown,
    options: { context: string; logLevel: LogLevel; writeStreamType?: 'stdout' | 'stderr'; errorStack?: unknown },
  ): void {
    // inspect, not JSON.stringify: it never throws (cycles, BigInt) and shows every nested string.
    this.lines.push(
      inspect(this.getJsonLogObject(message, options), {
        depth: null,
        breakLength: Infinity,
        maxStringLength: null,
        maxArrayLength: null,
      }),
    );
  }
}
