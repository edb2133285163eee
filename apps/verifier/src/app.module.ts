import { DynamicModule, Module } from '@nestjs/common';
import { VERIFIER_CONFIG, VerifierConfig } from './config/config';
import { HealthRoutes } from './health/health.routes';
import { Heartbeats } from './heartbeat/heartbeat';
import { KeyIndex } from './key-index/key-index';
import { IdleCollector } from './memory/idle-collector';
import { PositionWaiters } from './key-index/position-waiters';
import { Metrics } from './metrics/metrics';
import { StateReader } from './state-reader/state-reader';
import { TokenGate } from './token/token-gate';
import { UsageReporter } from './usage/usage-reporter';
import { VerifyKeyRoute } from './verify-key/verify-key.route';

/** The verifier: the state topic in memory, the verify route, usage, health and metrics. No database. */
@Module({})
export class VerifierModule {
  static register(config: VerifierConfig): DynamicModule {
    const index = new KeyIndex();
    return {
      module: VerifierModule,
      providers: [
        { provide: VERIFIER_CONFIG, useValue: config },
        { provide: KeyIndex, useValue: index },
        {
          provide: PositionWaiters,
          useValue: new PositionWaiters(config.minPositionWaiters, (partition) => index.appliedOffset(partition)),
        },
        Metrics,
        IdleCollector,
        StateReader,
        Heartbeats,
        TokenGate,
        UsageReporter,
        VerifyKeyRoute,
        HealthRoutes,
      ],
    };
  }
}
