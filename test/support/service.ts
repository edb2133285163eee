import { randomBytes } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { INestApplication, LoggerService } from '@nestjs/common';
import { AppConfig, loadConfig } from '../../apps/api-keys/src/config/config';
import { bootstrapKey } from '../../apps/api-keys/src/bootstrap/bootstrap';
import { createHttpApp } from '../../apps/api-keys/src/http-app';
import { jsonLogger } from '../../apps/api-keys/src/logging';

/** A unique suffix so every suite gets its own topic, consumer group and database. */
export const uniqueName = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

/**
 * The servers come from scripts/test.js (`npm test`), which exports their addresses. A suite
 * that runs without them fails loudly instead of silently testing nothing.
 */
export function stackEnv(): { brokers: string; mongoBase: string } {
  const brokers = process.env.KAFKA_BROKERS;
  const mongo = process.env.MONGODB_URI;
  if (!brokers || !mongo)
    throw new Error('KAFKA_BROKERS and MONGODB_URI must point at the test servers: run the suites with `npm test`');
  const base = new URL(mongo);
  base.pathname = '/';
  return { brokers, mongoBase: base.toString() };
}

export interface Isolation {
  readonly topic: string;
  readonly group: string;
  readonly database: string;
}

export function isolation(name: string): Isolation {
  const id = uniqueName(name);
  return { topic: `e2e.${id}`, group: `projector-${id}`, database: `e2e_${id.replace(/-/g, '_')}` };
}

/** The variables that point the service (or the CLI) at the test stack and this suite's names. */
export function isolatedEnv(iso: Isolation): Record<string, string> {
  const { brokers, mongoBase } = stackEnv();
  return {
    KAFKA_BROKERS: brokers,
    MONGODB_URI: `${mongoBase}${iso.database}`,
    KAFKA_EVENTS_TOPIC: iso.topic,
    KAFKA_CONSUMER_GROUP: iso.group,
  };
}

/** The config a real deployment would get from its environment, pointed at this suite's names. */
export function testConfig(iso: Isolation, overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({
    PORT: '0',
    ...isolatedEnv(iso),
    KAFKA_CLIENT_ID: 'e2e',
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'error',
    ...overrides,
  });
}

export interface RunningService {
  readonly app: INestApplication;
  readonly url: string;
  readonly config: AppConfig;
  close(): Promise<void>;
}

/**
 * Boots the real service in this process (HTTP, Kafka producer, projector) and waits until healthy.
 * `logger` replaces the JSON logger, e.g. to capture every log line (see logs.ts).
 */
export async function startService(
  config: AppConfig,
  logger: LoggerService = jsonLogger(config.logLevel),
): Promise<RunningService> {
  const app = await createHttpApp(config, logger);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const service = { app, url, config, close: () => app.close() };
  await waitUntil(() => isHealthy(service), 30000, 'service healthy');
  return service;
}

/** `GET /health` answers 200: Kafka, MongoDB and the projector are ready. */
export async function isHealthy(service: RunningService): Promise<boolean> {
  return (await fetch(`${service.url}/health`)).status === 200;
}

/**
 * `count` instances sharing one topic, consumer group and database, as a scaled-out deployment
 * runs them. Each join rebalances the group; all are ready once each owns its share again.
 */
export async function startInstances(iso: Isolation, count: number): Promise<RunningService[]> {
  const instances: RunningService[] = [];
  for (let i = 0; i < count; i++) instances.push(await startService(testConfig(iso)));
  await waitUntil(
    async () => (await Promise.all(instances.map(isHealthy))).every(Boolean),
    30000,
    'every instance ready after the rebalance',
  );
  return instances;
}

/** A suite's own service, and its users by name. */
export type ServiceFixture<U extends string> = { readonly iso: Isolation; service: RunningService } & Record<U, User>;

/**
 * Registers the usual suite set-up: a service with the suite's own topic, group and database
 * (`overrides` on top of the test config), and a bootstrapped user for each name. Its hooks run
 * before the suite's own, so the suite's `beforeAll` can already use them.
 */
export function useService<U extends string>(
  name: string,
  users: readonly U[] = [],
  overrides: Record<string, string> = {},
): ServiceFixture<U> {
  const fixture = { iso: isolation(name) } as ServiceFixture<U>;
  const named = fixture as Record<U, User>;
  beforeAll(async () => {
    fixture.service = await startService(testConfig(fixture.iso, overrides));
    for (const user of users) named[user] = await newUser(fixture.service);
  });
  afterAll(() => fixture.service?.close());
  return fixture;
}

/** Stops services one after another, last started first. */
export async function closeAll(services: readonly (RunningService | undefined)[]): Promise<void> {
  for (const service of [...services].reverse()) await service?.close();
}

/** Polls `check` every 100 ms until it holds (a throw counts as "not yet"); fails naming `what`. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A user and their bootstrap private key. */
export interface User {
  readonly email: string;
  readonly userId: number;
  readonly keyId: number;
  readonly key: string;
}

/** A user and their private key, made the way operators make them (the bootstrap path). */
export async function newUser(service: RunningService, email = `${uniqueName('user')}@example.com`): Promise<User> {
  const body = await bootstrapKey(service.app, email);
  const key = body.data.key_value;
  if (!key || (body.status.code !== 201 && body.status.code !== 202))
    throw new Error(`bootstrap failed: ${JSON.stringify(body)}`);
  if (body.status.code === 202) {
    // Recorded but not yet projected (a service configured not to wait): wait until it works.
    await waitUntil(
      async () => (await fetch(`${service.url}/api/v1/api_keys`, { headers: { 'X-API-Key': key } })).status === 200,
      30000,
      'new key usable',
    );
  }
  return { email, userId: body.data.user_id, keyId: body.data.id, key };
}
