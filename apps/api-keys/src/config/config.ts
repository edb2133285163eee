import { plainToInstance } from 'class-transformer';
import { SCHEMA_ID_BASE } from '@app/contracts';
import { IsIn, IsInt, IsNotEmpty, IsString, IsUrl, Matches, Max, Min, ValidateIf, validateSync } from 'class-validator';

const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The environment variables the service reads, with their defaults. Nothing else reads process.env. */
class Environment {
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  /**
   * The address the HTTP server listens on: loopback unless told otherwise, so a local run is not
   * reachable from the network; the container image sets 0.0.0.0.
   */
  @IsString()
  @Matches(/^[A-Za-z0-9._:%-]+$/, { message: 'HOST must be an IP address or a host name' })
  HOST = '127.0.0.1';

  @IsString()
  @Matches(/^mongodb(\+srv)?:\/\/\S+$/, { message: 'MONGODB_URI must be a mongodb:// or mongodb+srv:// URI' })
  MONGODB_URI = 'mongodb://127.0.0.1:27017/api_keys';

  @IsString()
  @Matches(/^[^\s,]+:\d+(,[^\s,]+:\d+)*$/, { message: 'KAFKA_BROKERS must be a comma-separated list of host:port' })
  KAFKA_BROKERS = '127.0.0.1:9092';

  @IsString()
  @IsNotEmpty()
  KAFKA_CLIENT_ID = 'api-keys-service';

  @IsString()
  @Matches(/^[A-Za-z0-9._-]{1,249}$/, { message: 'KAFKA_EVENTS_TOPIC must be a valid Kafka topic name' })
  KAFKA_EVENTS_TOPIC = 'api-keys.events';

  /** The compacted topic of every key's current state; defaults to `<events topic>.state` (`api-keys.state`). */
  @IsString()
  @Matches(/^[A-Za-z0-9._-]{0,249}$/, { message: 'KAFKA_STATE_TOPIC must be a valid Kafka topic name' })
  KAFKA_STATE_TOPIC = '';

  /** The verifiers' heartbeats; defaults to `<events topic without .events>.verifiers` (`api-keys.verifiers`). */
  @IsString()
  @Matches(/^[A-Za-z0-9._-]{0,249}$/, { message: 'KAFKA_VERIFIERS_TOPIC must be a valid Kafka topic name' })
  KAFKA_VERIFIERS_TOPIC = '';
  /** Where key uses are published and projected from; defaults to `<events topic without .events>.usage`. */
  @IsString()
  @Matches(/^[A-Za-z0-9._-]{0,249}$/, { message: 'KAFKA_USAGE_TOPIC must be a valid Kafka topic name' })
  KAFKA_USAGE_TOPIC = '';

  /** At most this long between two publications of the uses the API's authentication counted. */
  @IsInt()
  @Min(50)
  @Max(600_000)
  USAGE_FLUSH_MS = 10_000;

  /** Defaults to `<KAFKA_EVENTS_TOPIC>.dlq`. */
  @IsString()
  @Matches(/^[A-Za-z0-9._-]{0,249}$/, { message: 'KAFKA_DLQ_TOPIC must be a valid Kafka topic name' })
  KAFKA_DLQ_TOPIC = '';

  @IsString()
  @IsNotEmpty()
  KAFKA_CONSUMER_GROUP = 'api-keys-projector';

  /** Used only when the service creates a missing topic; an existing topic keeps its count. */
  @IsInt()
  @Min(1)
  @Max(1000)
  KAFKA_TOPIC_PARTITIONS = 3;

  @IsInt()
  @Min(100)
  @Max(60000)
  KAFKA_PRODUCE_TIMEOUT_MS = 3000;

  @IsInt()
  @Min(0)
  @Max(60000)
  READ_YOUR_WRITES_TIMEOUT_MS = 5000;

  @IsInt()
  @Min(1024)
  @Max(10 * 1024 * 1024)
  HTTP_BODY_LIMIT_BYTES = 64 * 1024;

  /** Live keys one user may hold; a create beyond it is refused. */
  @IsInt()
  @Min(1)
  @Max(100_000)
  MAX_KEYS_PER_USER = 1000;

  /** Requests one API key may make per window, across the fleet; 429 beyond. */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  RATE_LIMIT_PER_KEY = 1200;

  /** Requests one user may make per window with all their keys together; 0: five times RATE_LIMIT_PER_KEY. */
  @IsInt()
  @Min(0)
  @Max(5_000_000)
  RATE_LIMIT_PER_USER = 0;

  /** How often each instance publishes what it admitted and reads its peers' (the fleet's budgets). */
  @IsInt()
  @Min(50)
  @Max(5000)
  RATE_LIMIT_SYNC_MS = 250;

  /** Failed authentications one client address may make per window (per instance); 429 beyond. */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  AUTH_FAILURES_PER_ADDRESS = 60;

  /** IPv6 clients spend that budget per prefix of this many bits: one client is handed a whole /64. */
  @IsInt()
  @Min(1)
  @Max(128)
  AUTH_FAILURES_IPV6_PREFIX = 64;

  /** The budgets' window: a budget refills continuously, completely within one window. */
  @IsInt()
  @Min(1)
  @Max(86_400)
  RATE_LIMIT_WINDOW_SECONDS = 60;

  /** One deadline per write: waiting for its turn, appending and waiting for the projection. */
  @IsInt()
  @Min(100)
  @Max(120_000)
  REQUEST_TIMEOUT_MS = 8000;

  /**
   * A 404 for a key id the caller named (another user's, deleted, never used) is answered no
   * earlier than this after the request began, never past its deadline: the two cost the store
   * different times, and the floor hides which ids exist. 0 turns it off.
   */
  @IsInt()
  @Min(0)
  @Max(1000)
  NOT_FOUND_FLOOR_MS = 20;

  /** How long an Idempotency-Key is remembered: a retry within it is answered as the first attempt was. */
  @IsInt()
  @Min(1)
  @Max(24 * 30)
  IDEMPOTENCY_WINDOW_HOURS = 24;

  /** Commands that may wait for one key (or one user's creates) in an instance; 429 beyond. */
  @IsInt()
  @Min(1)
  @Max(10_000)
  KEY_QUEUE_LIMIT = 32;

  /** A client must have sent all its headers within this, and its whole request within the next. */
  @IsInt()
  @Min(1000)
  @Max(600_000)
  HTTP_HEADERS_TIMEOUT_MS = 10_000;

  @IsInt()
  @Min(1000)
  @Max(600_000)
  HTTP_REQUEST_TIMEOUT_MS = 30_000;

  /** How long an idle keep-alive connection stays open. */
  @IsInt()
  @Min(1000)
  @Max(600_000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS = 5000;

  /** Open connections the HTTP server accepts; further ones are closed at once. */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  HTTP_MAX_CONNECTIONS = 1000;

  /** Bound on a graceful shutdown (SIGTERM/SIGINT): past it the process exits, abandoning what is left. */
  @IsInt()
  @Min(1000)
  @Max(600_000)
  SHUTDOWN_TIMEOUT_MS = 10_000;

  /** /health is 503 once a partition's projection has stood still this long with records waiting. */
  @IsInt()
  @Min(1000)
  @Max(600_000)
  HEALTH_PROJECTION_STALL_MS = 5000;

  /**
   * A verifier counts in a key's propagation while its last heartbeat is at most this old (a
   * stopped one still counts that long). At most 5 minutes: the heartbeat topic keeps about 10.
   */
  @IsInt()
  @Min(1000)
  @Max(300_000)
  VERIFIER_HEARTBEAT_TIMEOUT_MS = 10_000;

  /**
   * Where the schema files are published: each record's ce_dataschema and each served schema's
   * `$id` is this followed by the file name. Defaults to the service's own `/schemas/`.
   */
  @ValidateIf((env: Environment) => env.SCHEMA_BASE_URL !== '')
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false, allow_query_components: false },
    { message: 'SCHEMA_BASE_URL must be an absolute http(s) URL' },
  )
  @Matches(/^[^?#]*\/$/, { message: 'SCHEMA_BASE_URL must end with / (and have no query or fragment)' })
  SCHEMA_BASE_URL = '';

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';
}

/** Every variable the service understands (the docker-compose test checks against this list). */
export const KNOWN_ENV_VARS: readonly string[] = Object.keys(new Environment());

export interface AppConfig {
  readonly port: number;
  readonly host: string;
  readonly mongodbUri: string;
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly clientId: string;
    readonly eventsTopic: string;
    readonly deadLetterTopic: string;
    /** Null: this process publishes no states (a rebuild into another database must not). */
    readonly stateTopic: string | null;
    /** Where verifiers heartbeat their applied state positions. */
    readonly verifiersTopic: string;
    readonly consumerGroup: string;
    /** The usage topic, projected by a consumer group of its own: `<consumerGroup>-usage`. */
    readonly usageTopic: string;
    readonly usageConsumerGroup: string;
    readonly topicPartitions: number;
    readonly produceTimeoutMs: number;
  };
  readonly usageFlushMs: number;
  readonly readYourWritesTimeoutMs: number;
  readonly httpBodyLimitBytes: number;
  readonly maxKeysPerUser: number;
  readonly rateLimits: {
    readonly requestsPerKey: number;
    readonly requestsPerUser: number;
    readonly authFailuresPerAddress: number;
    readonly authFailuresIpv6Prefix: number;
    readonly windowMs: number;
    readonly syncMs: number;
  };
  readonly requestTimeoutMs: number;
  /** A key id's 404 waits until this long after the request began (bounded by its deadline); 0: no floor. */
  readonly notFoundFloorMs: number;
  readonly keyQueueLimit: number;
  readonly idempotencyWindowMs: number;
  readonly http: {
    readonly headersTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly keepAliveTimeoutMs: number;
    readonly maxConnections: number;
  };
  readonly shutdownTimeoutMs: number;
  readonly healthProjectionStallMs: number;
  readonly verifierHeartbeatTimeoutMs: number;
  readonly logLevel: LogLevel;
  /** The base of the schemas' `$id` and of every record's ce_dataschema; ends with `/`. */
  readonly schemaBaseUrl: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

// The variables whose default is a number are integers.
const DEFAULTS = new Environment() as unknown as Record<string, unknown>;
const INTEGER_VARS = new Set(KNOWN_ENV_VARS.filter((name) => typeof DEFAULTS[name] === 'number'));

/** Reads and validates the environment once; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): AppConfig {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const name of KNOWN_ENV_VARS) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (INTEGER_VARS.has(name)) {
      // Strict: "3000abc" or "1e3" is a typo, not 3000.
      if (!/^-?\d+$/.test(value.trim())) problems.push(`${name} must be an integer (got "${value}")`);
      else raw[name] = Number(value.trim());
    } else {
      raw[name] = value.trim();
    }
  }
  const parsed = plainToInstance(Environment, raw);
  for (const error of validateSync(parsed)) {
    problems.push(...Object.values(error.constraints ?? {}).map((m) => `${m} (got "${env[error.property]}")`));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port: parsed.PORT,
    host: parsed.HOST,
    mongodbUri: parsed.MONGODB_URI,
    kafka: {
      brokers: parsed.KAFKA_BROKERS.split(','),
      clientId: parsed.KAFKA_CLIENT_ID,
      eventsTopic: parsed.KAFKA_EVENTS_TOPIC,
      deadLetterTopic: parsed.KAFKA_DLQ_TOPIC || `${parsed.KAFKA_EVENTS_TOPIC}.dlq`,
      stateTopic: parsed.KAFKA_STATE_TOPIC || `${parsed.KAFKA_EVENTS_TOPIC.replace(/\.events$/, '')}.state`,
      verifiersTopic: parsed.KAFKA_VERIFIERS_TOPIC || `${parsed.KAFKA_EVENTS_TOPIC.replace(/\.events$/, '')}.verifiers`,
      consumerGroup: parsed.KAFKA_CONSUMER_GROUP,
      usageTopic: parsed.KAFKA_USAGE_TOPIC || `${parsed.KAFKA_EVENTS_TOPIC.replace(/\.events$/, '')}.usage`,
      usageConsumerGroup: `${parsed.KAFKA_CONSUMER_GROUP}-usage`,
      topicPartitions: parsed.KAFKA_TOPIC_PARTITIONS,
      produceTimeoutMs: parsed.KAFKA_PRODUCE_TIMEOUT_MS,
    },
    usageFlushMs: parsed.USAGE_FLUSH_MS,
    readYourWritesTimeoutMs: parsed.READ_YOUR_WRITES_TIMEOUT_MS,
    httpBodyLimitBytes: parsed.HTTP_BODY_LIMIT_BYTES,
    maxKeysPerUser: parsed.MAX_KEYS_PER_USER,
    rateLimits: {
      requestsPerKey: parsed.RATE_LIMIT_PER_KEY,
      requestsPerUser: parsed.RATE_LIMIT_PER_USER || 5 * parsed.RATE_LIMIT_PER_KEY,
      authFailuresPerAddress: parsed.AUTH_FAILURES_PER_ADDRESS,
      authFailuresIpv6Prefix: parsed.AUTH_FAILURES_IPV6_PREFIX,
      windowMs: parsed.RATE_LIMIT_WINDOW_SECONDS * 1000,
      syncMs: parsed.RATE_LIMIT_SYNC_MS,
    },
    requestTimeoutMs: parsed.REQUEST_TIMEOUT_MS,
    notFoundFloorMs: parsed.NOT_FOUND_FLOOR_MS,
    keyQueueLimit: parsed.KEY_QUEUE_LIMIT,
    idempotencyWindowMs: parsed.IDEMPOTENCY_WINDOW_HOURS * 3_600_000,
    http: {
      headersTimeoutMs: parsed.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: parsed.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: parsed.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: parsed.HTTP_MAX_CONNECTIONS,
    },
    shutdownTimeoutMs: parsed.SHUTDOWN_TIMEOUT_MS,
    healthProjectionStallMs: parsed.HEALTH_PROJECTION_STALL_MS,
    verifierHeartbeatTimeoutMs: parsed.VERIFIER_HEARTBEAT_TIMEOUT_MS,
    logLevel: parsed.LOG_LEVEL,
    schemaBaseUrl: parsed.SCHEMA_BASE_URL || defaultSchemaBase(parsed.HOST, parsed.PORT),
  };
}

/**
 * The service's own `/schemas/`, at the address it listens on (loopback when it listens on every
 * interface). PORT 0 asks the system for a free port, unknown until the service listens, so there
 * the canonical base of the committed files stands in: an identifier that names the schemas
 * without locating them.
 */
function defaultSchemaBase(host: string, port: number): string {
  if (port === 0) return SCHEMA_ID_BASE;
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}/schemas/`;
}

const EXIT_BAD_CONFIG = 78; // EX_CONFIG from sysexits.h

/** For entry points: the config, or a message naming every bad variable and exit code 78. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv): AppConfig {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(EXIT_BAD_CONFIG);
  }
}

/** DI token for the validated AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');
