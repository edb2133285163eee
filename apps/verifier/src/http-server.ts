import { Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { INestApplicationContext, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { VerifierModule } from './app.module';
import { VerifierConfig } from './config/config';
import { HealthRoutes } from './health/health.routes';
import { VerifyKeyRoute } from './verify-key/verify-key.route';

export interface Verifier {
  readonly app: INestApplicationContext;
  readonly server: Server;
  /** Where it listens (after listen()). */
  url(): string;
  listen(port: number, host: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The verifier's HTTP server: a bare Node handler for every route, with Nest wiring everything
 * (an application context: no HTTP platform). One route is hot, POST /v1/keys/verify, every
 * request of every customer. Measured on this machine (2 cores, autocannon, 64 connections, a
 * verify-sized body): a Nest controller on Express answered about 13,000 requests/s, Fastify and a
 * bare handler 35,000-57,000 (within one another's noise); the bare handler needs no new
 * dependency, and the targets are ratios to a bare server. The other routes (health,
 * metrics) are bare too: Express and @nestjs/platform-express cost the verifier about 8 MB of RSS
 * for three GET routes (docs/benchmarks.md, `npm run bench -- --verify`). README.
 */
export async function createVerifier(config: VerifierConfig, logger: LoggerService): Promise<Verifier> {
  const app = await NestFactory.createApplicationContext(VerifierModule.register(config), {
    logger,
    abortOnError: false,
  });
  await app.init();
  const route = app.get(VerifyKeyRoute);
  const health = app.get(HealthRoutes);
  const server = createServer((req, res) => {
    if (VerifyKeyRoute.matches(req.url)) route.handle(req, res);
    else health.handle(req, res);
  });
  // Bounded HTTP, as the API's: slow or idle clients cannot hold connections forever.
  server.headersTimeout = config.http.headersTimeoutMs;
  server.requestTimeout = config.http.requestTimeoutMs;
  server.keepAliveTimeout = config.http.keepAliveTimeoutMs;
  server.maxConnections = config.http.maxConnections;
  return {
    app,
    server,
    url: () => {
      const { port } = server.address() as AddressInfo;
      return `http://127.0.0.1:${port}`;
    },
    listen: (port, host) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      }),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await app.close();
      await closed;
    },
  };
}
