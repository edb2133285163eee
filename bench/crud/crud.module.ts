import { DynamicModule, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { APP_CONFIG, AppConfig } from '../../apps/api-keys/src/config/config';
import { HTTP_STACK_PROVIDERS } from '../../apps/api-keys/src/http/http-stack';
import { ApiKeyStates, EVENT_PARTITIONS } from '../../apps/api-keys/src/read-model/api-key-states';
import { ApiKeysReadModel } from '../../apps/api-keys/src/read-model/api-keys.read-model';
import { KeyStateCache } from '../../apps/api-keys/src/read-model/key-state-cache';
import { CONNECTION_OPTIONS, READ_MODELS } from '../../apps/api-keys/src/read-model/schemas';
import { UnknownHashes } from '../../apps/api-keys/src/read-model/unknown-hashes';
import { UsageCounter } from '../../apps/api-keys/src/usage/usage-counter';
import { CrudUpdateController } from './crud-update.controller';

/**
 * The CRUD baseline app: the service's HTTP stack (request middleware, error filter, auth guard)
 * and MongoDB settings, with only the CRUD PUT route, on the same collections. The guard and the
 * controller read keys through the service's ApiKeyStates: by `_id` only (the hash document, then
 * the key), the one lookup FerretDB serves from an index. Its cache serves only partitions a local
 * projector owns, and a CRUD app has none, so every lookup goes to the store, as it must for an app
 * whose other instances change keys behind its back; unknown hashes are remembered as in the
 * service.
 */
@Module({})
export class CrudModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: CrudModule,
      imports: [MongooseModule.forRoot(config.mongodbUri, CONNECTION_OPTIONS), MongooseModule.forFeature(READ_MODELS)],
      controllers: [CrudUpdateController],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        ...HTTP_STACK_PROVIDERS,
        // Owns no partitions (setOwned is never called), so it never answers from memory.
        { provide: KeyStateCache, useFactory: () => new KeyStateCache(() => 0) },
        { provide: UnknownHashes, useValue: UnknownHashes.forService() },
        // ApiKeyStates needs the events topic's partition count only to list a user's keys, which
        // the CRUD path never does.
        { provide: EVENT_PARTITIONS, useValue: 3 },
        ApiKeysReadModel,
        ApiKeyStates,
        // The guard counts each use of a key; a CRUD app has no usage topic, so it counts nothing
        // (the event-sourced service's count is an in-memory increment, published every 10 s).
        { provide: UsageCounter, useValue: { count: () => undefined } },
      ],
    };
  }
}
