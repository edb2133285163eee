import { AddressInfo } from 'node:net';
import { INestApplication } from '@nestjs/common';
import { AppConfig } from '../../apps/api-keys/src/config/config';
import { createHttpApp, listen } from '../../apps/api-keys/src/http-app';
import { jsonLogger } from '../../apps/api-keys/src/logging';
import { isolation, testConfig } from '../support/service';

/** Whether an HTTP request to host:port gets an answer (false: the connection is refused). */
async function answers(host: string, port: number): Promise<boolean> {
  try {
    await fetch(`http://${host}:${port}/health/live`);
    return true;
  } catch (error) {
    expect((error as { cause?: { code?: string } }).cause?.code).toBe('ECONNREFUSED');
    return false;
  }
}

describe('the address the service listens on', () => {
  const iso = isolation('listen-address');
  let app: INestApplication | undefined;

  /** The service as main.ts starts it: created, then listening where its config says. */
  async function start(config: AppConfig): Promise<AddressInfo> {
    app = await createHttpApp(config, jsonLogger(config.logLevel));
    await listen(app, config);
    return app.getHttpServer().address() as AddressInfo;
  }
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('is loopback when HOST is not set', async () => {
    const address = await start(testConfig(iso));
    expect(address.address).toBe('127.0.0.1');
    expect(await answers('127.0.0.1', address.port)).toBe(true);
    expect(await answers('127.0.0.2', address.port)).toBe(false);
  });

  it('is the one HOST names', async () => {
    const address = await start(testConfig(iso, { HOST: '127.0.0.2' }));
    expect(address.address).toBe('127.0.0.2');
    expect(await answers('127.0.0.2', address.port)).toBe(true);
    expect(await answers('127.0.0.1', address.port)).toBe(false);
  });
});
