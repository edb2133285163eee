import { plainToInstance } from 'class-transformer';
import { SCHEMA_ID_BASE } from '@app/contracts';
import { IsIn, IsInt, IsNotEmpty, IsString, IsUrl, Matches, Max, Min, ValidateIf, validateSync } from 'class-validator';

const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The environment variables the verifier reads, with their defaults. Nothing else reads
 * process.env. Names it shares with the API (KAFKA_*, HOST, the failed-auth budget) mean the same
 * there, so one environment can feed both.
 */
class Environment {
  @IsInt()
  @Min(0)
  @Max(65535)
  VERIFIER_PORT = 3100;

  /** Loopback unless told otherwise, as the API; the container image sets 0.0.0.0. */
  @IsString()
  @Matches(/^[A-Za-z0-9._:%-]+$/, { message: 'HOST must be an IP address or a host name' })
  HOST = '127.0.0.1';

  /** `production` makes VERIFIER_TOKEN required. */
  @IsString()
  NODE_ENV = '';

  /**
   * The bearer token callers (gateways) send. At least 32 visible ASCII characters: it is the
   * only thing between the network and an oracle of which keys are valid.
   */
  @ValidateIf((env: Environment) => env.VERIFIER_TOKEN !== '')
  @Matches(/^[\x21-\x7e]{32,512}$/, { message: 'VERIFIER_TOKEN must be 32 to 512 visible ASCII characters' })
  VERIFIER_TOKEN = '';

  @IsString()
  @Matches(/^[^\s,]+:\d+(,[^\s,]+:\d+)*$/, { message: 'KAFKA_BROKERS must be a comma-separated list of host:port' })
  KAFKA_BROKERS = '127.0.0.1:9092';

  @IsString()
  @IsNotEmpty()
  KAFKA_CLIENT_ID = 'api-keys-verifier';

  @IsString()
  @Matches(/^[A-Za-z0-9._-]{1,249}$/, { message: 'KAFKA_EVENTS_TOPIC must be a valid Kafka topic name' })
  KAFKA_EVENTS_TOPIC = 'api-keys.events';

  /** Defaults to `<events topic without .events>.state`, as the API's. */
  @IsString()
  @Matches(/^[A-Za-z0-9._-]{0,249}$/, { message: 'KAFKA_STATE_TOPIC must be a valid Kafka topic name' })
  KAFKA_STATE_TOPIC = '';

  /** Where it heartbeats; defaults to `<events topic without .events>.verifiers`, as the API's. */
  @IsString()
  @Matches(/^[A-Za-z0-9._-]{0,249}$/, { message: 'KAFKA_VERIFIERS_TOPIC must be a valid Kafka topic name' })
  KAFKA_VERIFIERS_TOPIC = '';
  /** Where it publishes the uses it counted; defaults to `<events topic without .events>.usage`, as the API's. */
  @IsString()
  @Matches(/^[A-Za-z0-9._-]{0,249}$/, { message: 'KAFKA_USAGE_TOPIC must be a valid Kafka topic name' })
  KAFKA_USAGE_TOPIC = '';

  /** At most this long between two publications of the uses counted (plus one at shutdown). */
  @IsInt()
  @Min(50)
  @Max(600_000)
  USAGE_FLUSH_MS = 10_000;

  /**
   * The base of the usage records' ce_dataschema (the API serves the schemas: set its
   * SCHEMA_BASE_URL here too). Defaults to the canonical base of the committed files.
   */
  @ValidateIf((env: Environment) => env.SCHEMA_BASE_URL !== '')
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false, allow_query_components: false },
    { message: 'SCHEMA_BASE_URL must be an absolute http(s) URL' },
  )
  @Matches(/^[^?#]*\/$/, { message: 'SCHEMA_BASE_URL must end with / (and have no query or fragment)' })
  SCHEMA_BASE_URL = '';

  /** The longest a request with `min_position` waits for this instance to apply that position. */
  @IsInt()
  @Min(0)
  @Max(30_000)
  VERIFIER_MIN_POSITION_WAIT_MS = 2000;

  /** Requests that may wait for a `min_position` at once; more are answered 503 at once. */
  @IsInt()
  @Min(1)
  @Max(100_000)
  VERIFIER_MIN_POSITION_WAITERS = 1000;

  /** Wrong or missing tokens one client address may send per window; 429 beyond. */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  AUTH_FAILURES_PER_ADDRESS = 60;

  @IsInt()
  @Min(1)
  @Max(128)
  AUTH_FAILURES_IPV6_PREFIX = 64;

  @IsInt()
  @Min(1)
  @Max(86_400)
  RATE_LIMIT_WINDOW_SECONDS = 60;

  @IsInt()
  @Min(1000)
  @Max(600_000)
  HTTP_HEADERS_TIMEOUT_MS = 10_000;

  @IsInt()
  @Min(1000)
  @Max(600_000)
  HTTP_REQUEST_TIMEOUT_MS = 30_000;

  @IsInt()
  @Min(1000)
  @Max(600_000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS = 5000;

  @IsInt()
  @Min(1)
  @Max(1_000_000)
  HTTP_MAX_CONNECTIONS = 1000;

  @IsInt()
  @Min(1000)
  @Max(600_000)
  SHUTDOWN_TIMEOUT_MS = 10_000;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';
}

/** Every variable the verifier understands (the README's table and docker-compose are checked against it). */
export const KNOWN_ENV_VARS: readonly string[] = Object.keys(new Environment());

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

const DEFAULTS = new Environment() as unknown as Record<string, unknown>;
const INTEGER_VARS = new Set(KNOWN_ENV_VARS.filter((name) => typeof DEFAULTS[name] === 'number'));

/** Reads and validates the environment once; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): VerifierConfig {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const name of KNOWN_ENV_VARS) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (INTEGER_VARS.has(name)) {
      if (!/^-?\d+$/.test(value.trim())) problems.push(`${name} must be an integer (got "${value}")`);
      else raw[name] = Number(value.trim());
    } else {
      raw[name] = value.trim();
    }
  }
  const parsed = plainToInstance(Environment, raw);
  for (const error of validateSync(parsed)) {
    // Never echo the token, even a bad one: logs are read by more people than should hold it.
    const got = error.property === 'VERIFIER_TOKEN' ? '' : ` (got "${env[error.property]}")`;
    problems.push(...Object.values(error.constraints ?? {}).map((m) => `${m}${got}`));
  }
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
