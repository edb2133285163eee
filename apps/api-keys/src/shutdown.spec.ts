import { AddressInfo } from 'node:net';
import { Agent, createServer, get, IncomingMessage, Server, ServerResponse } from 'node:http';
import { BoundedShutdown, Ending } from './shutdown';

// Keep-alive, as browsers and load balancers connect: only the server can tell them to close.
const agent = new Agent({ keepAlive: true });
afterEach(() => agent.destroy());

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A real HTTP server whose handler the test controls, behind a BoundedShutdown with fakes for the rest. */
async function setup(options: { timeoutMs: number; closeApp?: () => Promise<void> }) {
  let handle: (res: ServerResponse) => void = (res) => res.end('ok');
  let arrived = () => undefined as void;
  const server: Server = createServer((_req, res) => {
    arrived();
    handle(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const events: string[] = [];
  const endings: { ending: Ending; at: number }[] = [];
  const shutdown = new BoundedShutdown(server, {
    timeoutMs: options.timeoutMs,
    onDraining: () => events.push('draining'),
    closeApp: async () => {
      events.push('closing app');
      await (options.closeApp ?? (() => Promise.resolve()))();
      events.push('app closed');
    },
    log: quiet,
    end: (ending) => endings.push({ ending, at: Date.now() }),
  });
  const request = () =>
    new Promise<{ status?: number; connection?: string; body: string } | Error>((resolve) => {
      get({ port, host: '127.0.0.1', path: '/', agent }, (res: IncomingMessage) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection, body }));
      }).on('error', resolve);
    });
  const ended = () =>
    new Promise<void>((resolve) => {
      const check = () => (endings.length > 0 ? resolve() : setTimeout(check, 5));
      check();
    });
  /** Sends a request and resolves once the server has it: then it is in flight. */
  const requestInFlight = async () => {
    const received = new Promise<void>((resolve) => (arrived = resolve));
    const reply = request();
    await received;
    return { reply };
  };
  return {
    server,
    shutdown,
    requestInFlight,
    events,
    endings,
    request,
    ended,
    setHandler: (h: typeof handle) => (handle = h),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('BoundedShutdown', () => {
  it('lets a request in flight finish (telling its client to close), then closes the app and dies of the signal', async () => {
    const t = await setup({ timeoutMs: 2000 });
    t.setHandler((res) => setTimeout(() => res.end('finished'), 200));
    // In flight means the server has the request: a fixed sleep lost that race on a busy machine.
    const { reply } = await t.requestInFlight();
    const shutting = t.shutdown.shutDown('SIGTERM');

    expect(await reply).toEqual({ status: 200, connection: 'close', body: 'finished' });
    await shutting;
    expect(t.events).toEqual(['draining', 'closing app', 'app closed']);
    expect(t.endings.map((e) => e.ending)).toEqual([{ signal: 'SIGTERM' }]);
  });

  it('accepts no new connections once draining', async () => {
    const t = await setup({ timeoutMs: 2000 });
    t.setHandler((res) => setTimeout(() => res.end('slow'), 300));
    const { reply: inFlight } = await t.requestInFlight();
    const shutting = t.shutdown.shutDown('SIGTERM');

    expect(await t.request()).toMatchObject({ code: 'ECONNREFUSED' });
    await inFlight;
    await shutting;
  });

  it('cuts requests still in flight at the drain deadline, then still closes the app in time', async () => {
    const t = await setup({ timeoutMs: 800 });
    t.setHandler(() => undefined); // never answers
    const { reply } = await t.requestInFlight();
    await t.shutdown.shutDown('SIGTERM');

    expect(await reply).toMatchObject({ message: 'socket hang up' });
    expect(t.events).toEqual(['draining', 'closing app', 'app closed']);
    // Ended by the signal, not by the bound: the drain deadline leaves a reserve for closing.
    expect(t.endings.map((e) => e.ending)).toEqual([{ signal: 'SIGTERM' }]);
  });

  it('exits with code 1 when closing the app does not finish within the bound', async () => {
    const t = await setup({ timeoutMs: 300, closeApp: () => new Promise(() => undefined) });
    void t.shutdown.shutDown('SIGTERM');
    await t.ended();

    // Closing never finishes, so only the bound can have ended it, and it says so with code 1.
    expect(t.endings.map((e) => e.ending)).toEqual([{ code: 1 }]);
    expect(t.events).toEqual(['draining', 'closing app']);
  });

  it('ends at once on a second signal, and only once', async () => {
    const t = await setup({ timeoutMs: 300, closeApp: () => new Promise(() => undefined) });
    void t.shutdown.shutDown('SIGTERM');
    await sleep(20);
    await t.shutdown.shutDown('SIGINT');

    expect(t.endings.map((e) => e.ending)).toEqual([{ signal: 'SIGINT' }]);
    await t.shutdown.shutDown('SIGTERM');
    await sleep(350); // past the bound, which no longer ends anything
    expect(t.endings).toHaveLength(1);
  });

  it('listens to the signals of the process it is given', () => {
    const t = { on: jest.fn() };
    const shutdown = new BoundedShutdown(createServer(), {
      timeoutMs: 1000,
      onDraining: () => undefined,
      closeApp: () => Promise.resolve(),
      log: quiet,
      end: () => undefined,
    });
    shutdown.listen(t);
    expect(t.on.mock.calls.map(([signal]) => signal)).toEqual(['SIGTERM', 'SIGINT']);
  });
});
