/** Types for stalling-relay.js (plain JavaScript, shared with scripts/measure-failover.js). */
export declare class StallingRelay {
  constructor(targetHost: string, targetPort: number);
  /** The port it listens on (127.0.0.1), once started. */
  readonly port: number;
  start(port?: number): Promise<void>;
  /** From now on, commands other than handshakes and pings get no answer until release(). */
  stallWork(): void;
  /** Sends on what was held back, in order, and stops stalling. */
  release(): void;
  /** Drops every connection and stops listening. */
  close(): Promise<void>;
}

/** The command name an OP_MSG wire message carries, or null for other opcodes. */
export declare function commandOf(message: Buffer): string | null;
