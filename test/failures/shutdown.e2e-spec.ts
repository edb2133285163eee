import { call } from '../support/http';
import { isolation, stackEnv, uniqueName } from '../support/service';
import { SpawnedService, bootstrapUser, ensureBuilt, serviceEnv } from '../support/spawned-service';
import { StallingRelay } from '../support/stalling-relay';

const SHUTDOWN_TIMEOUT_MS = 4000;
// Generous: the bound is the service's own timer; this only allows for a slow, shared machine.
const SLACK_MS = 4000;

/**
 * The service as npm start runs it, its store behind a relay that can play a FerretDB buried in
 * work: pings answered, every other command held. A projector batch and the requests in flight
 * then wait on the store forever; a SIGTERM must still end the process within the bound.
 */
describe('shutdown while the store is stalled', () => {
  const iso = isolation('shutdown');
  const mongo = new URL(stackEnv().mongoBase);
  let relay: StallingRelay;
  let service: SpawnedService | undefined;

  beforeAll(() => ensureBuilt(), 180_000);
  beforeEach(async () => {
    relay = new StallingRelay(mongo.hostname, Number(mongo.port || 27017));
    await relay.start();
  });
  afterEach(async () => {
    await service?.stop();
    relay.release();
    await relay.close();
  });

  /** A service on the relay, a user, and PUTs of the user's key left waiting on the stalled store. */
  async function stallWithWritesInFlight() {
    const env = serviceEnv(iso, {
      MONGODB_URI: `mongodb://127.0.0.1:${relay.port}/${iso.database}`,
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    });
    service = await SpawnedService.start(env);
    const { key, keyId } = await bootstrapUser(env, `${uniqueName('stalled')}@example.com`);
    const rename = (name: string) =>
      call(service!.url, 'PUT', `/api/v1/api_keys/${keyId}`, { key, body: { api_key: { name } } });
    expect((await rename('before the stall')).status).toBe(200);

    relay.stallWork();
    const inFlight = Array.from({ length: 5 }, (_, i) => rename(`during the stall ${i}`).catch((e: Error) => e));
    await new Promise((r) => setTimeout(r, 1000));
    return { service, inFlight };
  }

  it('exits within SHUTDOWN_TIMEOUT_MS of a SIGTERM, the requests in flight answered or cut', async () => {
    const { service, inFlight } = await stallWithWritesInFlight();

    const sentAt = Date.now();
    service.signal('SIGTERM');
    const exit = await service.exited;

    expect(exit.at - sentAt).toBeLessThan(SHUTDOWN_TIMEOUT_MS + SLACK_MS);
    // Died of the signal after a clean shutdown, or exit code 1 when the bound cut it short.
    expect([{ signal: 'SIGTERM' }, { code: 1 }]).toContainEqual(
      exit.signal ? { signal: exit.signal } : { code: exit.code },
    );
    expect(service.logs).toMatch(/"msg":"shutting down"/);
    // Every request got an answer or a cut connection; none is left hanging.
    await Promise.all(inFlight);
  }, 60_000);

  it('exits at once on a second SIGTERM', async () => {
    const { service } = await stallWithWritesInFlight();

    service.signal('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    const secondAt = Date.now();
    service.signal('SIGTERM');
    const exit = await service.exited;

    expect(exit.at - secondAt).toBeLessThan(1500);
    expect(exit.signal).toBe('SIGTERM');
    expect(service.logs).toMatch(/"msg":"second signal: exiting now"/);
  }, 60_000);
});
