import { SCHEMA_ID_BASE } from '@app/contracts';

const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How one variable is read: an integer in a range, or text matching a pattern (or one of a list). */
type Rule =
  | { readonly kind: 'int'; readonly default: number; readonly min: number; readonly max: number }
  | { readonly kind: 'text'; readonly default: string; readonly pattern?: RegExp; readonly message?: string }
  | { readonly kind: 'one-of'; readonly default: string; readonly values: readonly string[] };

const int = (value: number, min: number, max: number) => ({ kind: 'int' as const, default: value, min, max });
const text = (value: string, pattern?: RegExp, message?: string) => ({
  kind: 'text' as const,
  default: value,
  pattern,
  message,
});
const topicArgs = (name: string, min: 0 | 1): [RegExp, string] => [
  new RegExp(`^[A-Za-z0-9._-]{${min},249}$`),
  `${name} must be a valid Kafka topic name`,
];

/**
 * The environment variables the verifier reads, with their defaults. Nothing else reads
 * process.env. Names it shares with the API (KAFKA_*, HOST, the failed-auth budget) mean the same
 * there, so one environment can feed both. Checked by hand rather than with class-validator: that
 * library (and libphonenumber-js, validator, class-transformer under it) cost the verifier about
 * 16 MB of RSS for sixteen variables (docs/benchmarks.md, `npm run bench -- --verify`).
 */
const ENVIRONMENT = {
  VERIFIER_PORT: int(3100, 0, 65535),
  /** Loopback unless told otherwise, as the API; the container image sets 0.0.0.0. */
  HOST: text('127.0.0.1', /^[A-Za-z0-9._:%-]+$/, 'HOST must be an IP address or a host name'),
  /** `production` makes VERIFIER_TOKEN required. */
  NODE_ENV: text(''),
  /**
   * The bearer token callers (gateways) send. At least 32 visible ASCII characters: it is the
   * only thing between the network and an oracle of which keys are valid.
   */
  VERIFIER_TOKEN: text('', /^[\x21-\x7e]{32,512}$/, 'VERIFIER_TOKEN must be 32 to 512 visible ASCII characters'),
  KAFKA_BROKERS: text(
    '127.0.0.1:9092',
    /^[^\s,]+:\d+(,[^\s,]+:\d+)*$/,
    'KAFKA_BROKERS must be a comma-separated list of host:port',
  ),
  KAFKA_CLIENT_ID: text('api-keys-verifier', /\S/, 'KAFKA_CLIENT_ID should not be empty'),
  KAFKA_EVENTS_TOPIC: text('api-keys.events', ...topicArgs('KAFKA_EVENTS_TOPIC', 1)),
  /** Defaults to `<events topic without .events>.state`, as the API's. */
  KAFKA_STATE_TOPIC: text('', ...topicArgs('KAFKA_STATE_TOPIC', 0)),
  /** Where it heartbeats; defaults to `<events topic without .events>.verifiers`, as the API's. */
  KAFKA_VERIFIERS_TOPIC: text('', ...topicArgs('KAFKA_VERIFIERS_TOPIC', 0)),
  /** Where it publishes the uses it counted; defaults to `<events topic without .events>.usage`, as the API's. */
  KAFKA_USAGE_TOPIC: text('', ...topicArgs('KAFKA_USAGE_TOPIC', 0)),
  /** At most this long between two publications of the uses counted (plus one at shutdown). */
  USAGE_FLUSH_MS: int(10_000, 50, 600_000),
  /**
   * The base of the usage records' ce_dataschema (the API serves the schemas: set its
   * SCHEMA_BASE_URL here too). Defaults to the canonical base of the committed files.
   */
  SCHEMA_BASE_URL: text(
    '',
    /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?\/$/,
    'SCHEMA_BASE_URL must end with / and be an absolute http(s) URL without query or fragment',
  ),
  /** The longest a request with `min_position` waits for this instance to apply that position. */
  VERIFIER_MIN_POSITION_WAIT_MS: int(2000, 0, 30_000),
  /** Requests that may wait for a `min_position` at once; more are answered 503 at once. */
  VERIFIER_MIN_POSITION_WAITERS: int(1000, 1, 100_000),
  /** Wrong or missing tokens one client address may send per window; 429 beyond. */
  AUTH_FAILURES_PER_ADDRESS: int(60, 1, 1_000_000),
  AUTH_FAILURES_IPV6_PREFIX: int(64, 1, 128),
  RATE_LIMIT_WINDOW_SECONDS: int(60, 1, 86_400),
  HTTP_HEADERS_TIMEOUT_MS: int(10_000, 1000, 600_000),
  HTTP_REQUEST_TIMEOUT_MS: int(30_000, 1000, 600_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(5000, 1000, 600_000),
  HTTP_MAX_CONNECTIONS: int(1000, 1, 1_000_000),
  SHUTDOWN_TIMEOUT_MS: int(10_000, 1000, 600_000),
  LOG_LEVEL: { kind: 'one-of' as const, default: 'info' as LogLevel, values: LOG_LEVELS },
} as const satisfies Record<string, Rule>;

type Environment = { -readonly [K in keyof typeof ENVIRONMENT]: (typeof ENVIRONMENT)[K]['default'] };

/** Every variable the verifier understands (the README's table and docker-compose are checked against it). */
export const KNOWN_ENV_VARS: readonly string[] = Object.keys(ENVIRONMENT);

export interface VerifierConfig {
  readonly port: number;
  readonly host: string;
  /** Null: no token is asked for (allowed outside production only). */
  readonly token: string | null;
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly clientId: string;
    readonly stateTopic: string;
    readonly verifiersTopic: string;
    readonly usageTopic: string;
  };
  readonly usageFlushMs: number;
  /** The base of the usage records' ce_dataschema; ends with `/`. */
  readonly schemaBaseUrl: string;
  readonly minPositionWaitMs: number;
  readonly minPositionWaiters: number;
  readonly tokenFailures: { readonly perAddress: number; readonly ipv6Prefix: number; readonly windowMs: number };
  readonly http: {
    readonly headersTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly keepAliveTimeoutMs: number;
    readonly maxConnections: number;
  };
  readonly shutdownTimeoutMs: number;
  readonly logLevel: LogLevel;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment once; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): VerifierConfig {
  const parsed: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, rule] of Object.entries(ENVIRONMENT) as Array<[string, Rule]>) {
    parsed[name] = rule.default;
    const given = env[name];
    if (given === undefined || given === '') continue;
    const value = given.trim();
    // Never repeat a bad token: it may be a real one, mistyped.
    const got = name === 'VERIFIER_TOKEN' ? '' : ` (got "${given}")`;
    if (rule.kind === 'int') {
      if (!/^-?\d+$/.test(value)) problems.push(`${name} must be an integer (got "${given}")`);
      else if (Number(value) < rule.min) problems.push(`${name} must not be less than ${rule.min}${got}`);
      else if (Number(value) > rule.max) problems.push(`${name} must not be greater than ${rule.max}${got}`);
      else parsed[name] = Number(value);
    } else if (rule.kind === 'one-of') {
      if (!rule.values.includes(value))
        problems.push(`${name} must be one of the following values: ${rule.values.join(', ')}${got}`);
      else parsed[name] = value;
    } else if (rule.pattern && !rule.pattern.test(value)) problems.push(`${rule.message}${got}`);
    else parsed[name] = value;
  }
  return checked(parsed as Environment, problems);
}

function checked(parsed: Environment, problems: string[]): VerifierConfig {
  if (parsed.NODE_ENV === 'production' && parsed.VERIFIER_TOKEN === '')
    problems.push('VERIFIER_TOKEN is required when NODE_ENV=production');
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port: parsed.VERIFIER_PORT,
    host: parsed.HOST,
    token: parsed.VERIFIER_TOKEN || null,
    kafka: {
      brokers: parsed.KAFKA_BROKERS.split(','),
      clientId: parsed.KAFKA_CLIENT_ID,
      stateTopic: parsed.KAFKA_STATE_TOPIC || `${parsed.KAFKA_EVENTS_TOPIC.replace(/\.events$/, '')}.state`,
      verifiersTopic: parsed.KAFKA_VERIFIERS_TOPIC || `${parsed.KAFKA_EVENTS_TOPIC.replace(/\.events$/, '')}.verifiers`,
      usageTopic: parsed.KAFKA_USAGE_TOPIC || `${parsed.KAFKA_EVENTS_TOPIC.replace(/\.events$/, '')}.usage`,
    },
    usageFlushMs: parsed.USAGE_FLUSH_MS,
    schemaBaseUrl: parsed.SCHEMA_BASE_URL || SCHEMA_ID_BASE,
    minPositionWaitMs: parsed.VERIFIER_MIN_POSITION_WAIT_MS,
    minPositionWaiters: parsed.VERIFIER_MIN_POSITION_WAITERS,
    tokenFailures: {
      perAddress: parsed.AUTH_FAILURES_PER_ADDRESS,
      ipv6Prefix: parsed.AUTH_FAILURES_IPV6_PREFIX,
      windowMs: parsed.RATE_LIMIT_WINDOW_SECONDS * 1000,
    },
    http: {
      headersTimeoutMs: parsed.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: parsed.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: parsed.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: parsed.HTTP_MAX_CONNECTIONS,
    },
    shutdownTimeoutMs: parsed.SHUTDOWN_TIMEOUT_MS,
    logLevel: parsed.LOG_LEVEL,
  };
}

const EXIT_BAD_CONFIG = 78; // EX_CONFIG from sysexits.h

/** For the entry point: the config, or a message naming every bad variable and exit code 78. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv): VerifierConfig {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(EXIT_BAD_CONFIG);
  }
}

/** DI token for the validated VerifierConfig. */
export const VERIFIER_CONFIG = Symbol('VERIFIER_CONFIG');
