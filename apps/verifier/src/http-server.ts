import { Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express } from 'express';
import { VerifierModule } from './app.module';
import { VerifierConfig } from './config/config';
import { VerifyKeyRoute } from './verify-key/verify-key.route';

export interface Verifier {
  readonly app: INestApplication;
  readonly server: Server;
  /** Where it listens (after listen()). */
  url(): string;
  listen(port: number, host: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The verifier's HTTP server. One route is hot, POST /v1/keys/verify, every request of every
 * customer: it is a bare Node handler, reached before Express. Nest (on Express) serves the rest
 * (health, metrics) and wires everything. Measured on this machine (2 cores, autocannon, 64
 * connections, a verify-sized body): a Nest controller on Express answered about 13,000
 * requests/s, Fastify and a bare handler 35,000-57,000 (within one another's noise); the bare
 * handler needs no new dependency, and the targets are ratios to a bare server. README.
 */
export async function createVerifier(config: VerifierConfig, logger: LoggerService): Promise<Verifier> {
  const adapter = new ExpressAdapter();
  const app = await NestFactory.create(VerifierModule.register(config), adapter, {
    bodyParser: false,
    logger,
    abortOnError: false,
  });
  await app.init();
  const route = app.get(VerifyKeyRoute);
  const express = adapter.getInstance<Express>();
  const server = createServer((req, res) => {
    if (VerifyKeyRoute.matches(req.url)) route.handle(req, res);
    else void express(req, res);
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
