import { LoggerService } from '@nestjs/common';
import { jsonLogger } from '../../apps/verifier/src/logging';
import { loadConfig } from '../../apps/verifier/src/config/config';
import { Verifier, createVerifier } from '../../apps/verifier/src/http-server';
import { Reply, call } from './http';
import { Isolation, stackEnv, waitUntil } from './service';

/** The token the suites' verifiers ask for. */
export const VERIFIER_TOKEN = 'e2e-verifier-token-0123456789abcdef';

export interface RunningVerifier {
  readonly url: string;
  readonly verifier: Verifier;
  close(): Promise<void>;
}

/**
 * A verifier in this process, as `npm run start:verifier` runs one, reading this suite's state
 * topic. Resolves once it listens; `ready` waits for `/health/ready` too; `logger` replaces its
 * JSON logger (e2e: CapturedLogs).
 */
export async function startVerifier(
  iso: Isolation,
  overrides: Record<string, string> = {},
  { ready = true, logger }: { ready?: boolean; logger?: LoggerService } = {},
): Promise<RunningVerifier> {
  const config = loadConfig({
    VERIFIER_PORT: '0',
    KAFKA_BROKERS: stackEnv().brokers,
    KAFKA_EVENTS_TOPIC: iso.topic,
    KAFKA_CLIENT_ID: 'e2e-verifier',
    VERIFIER_TOKEN,
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'error',
    ...overrides,
  });
  const verifier = await createVerifier(config, logger ?? jsonLogger(config.logLevel));
  await verifier.listen(0, '127.0.0.1');
  const running = { url: verifier.url(), verifier, close: () => verifier.close() };
  if (ready) await waitUntil(() => isReady(running), 30_000, 'verifier ready');
  return running;
}

export const isReady = async (v: RunningVerifier) => (await fetch(`${v.url}/health/ready`)).status === 200;

/** POST /v1/keys/verify with the suite's token (or `token`; null sends none). */
export function verify(v: RunningVerifier, body: unknown, token: string | null = VERIFIER_TOKEN): Promise<Reply> {
  return call(v.url, 'POST', '/v1/keys/verify', {
    body,
    headers: token === null ? {} : { Authorization: `Bearer ${token}` },
  });
}

/** The verdict's `data`, from a request that must be answered 200. */
export async function verdict(v: RunningVerifier, body: Record<string, unknown>): Promise<any> {
  const reply = await verify(v, body);
  if (reply.status !== 200) throw new Error(`verify answered ${reply.status}: ${reply.text}`);
  return reply.body.data;
}

/** Polls until the verifier's verdict on `key` has `code` (a write reaches it within milliseconds). */
export async function untilCode(v: RunningVerifier, body: Record<string, unknown>, code: string): Promise<any> {
  let last: any;
  await waitUntil(async () => (last = await verdict(v, body)).code === code, 10_000, `verdict ${code}`);
  return last;
}
