import { DynamicModule, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { MongooseModule } from '@nestjs/mongoose';
import { APP_CONFIG, AppConfig } from '../../apps/api-keys/src/config/config';
import { ErrorFilter } from '../../apps/api-keys/src/http/error.filter';
import { RequestMiddleware } from '../../apps/api-keys/src/http/request.middleware';
import { ApiKeyStates } from '../../apps/api-keys/src/read-model/api-key-states';
import { ApiKeysReadModel } from '../../apps/api-keys/src/read-model/api-keys.read-model';
import { KeyStateCache } from '../../apps/api-keys/src/read-model/key-state-cache';
import { API_KEYS, CHECKPOINTS, apiKeySchema, checkpointSchema } from '../../apps/api-keys/src/read-model/schemas';
import { CrudUpdateController } from './crud-update.controller';

/**
 * The CRUD baseline app: the service's HTTP stack (request middleware, error filter, auth guard
 * reading the same `api_keys` collection) and MongoDB settings, with only the CRUD PUT route.
 * The guard reads keys through the service's ApiKeyStates; its cache serves only partitions a
 * local projector owns, and a plain CRUD app has none, so every lookup here goes to MongoDB, as
 * it must for an app that cannot hear about changes made elsewhere.
 */
@Module({})
export class CrudModule implements NestModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: CrudModule,
      imports: [
        // The same connection options as the service's AppModule (keep in step with it).
        MongooseModule.forRoot(config.mongodbUri, {
          bufferCommands: false,
          serverSelectionTimeoutMS: 2000,
          connectTimeoutMS: 2000,
          heartbeatFrequencyMS: 2000,
        }),
        MongooseModule.forFeature([
          { name: API_KEYS, schema: apiKeySchema },
          { name: CHECKPOINTS, schema: checkpointSchema },
        ]),
      ],
      controllers: [CrudUpdateController],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: APP_FILTER, useClass: ErrorFilter },
        // Owns no partitions (setOwned is never called), so it never answers from memory.
        { provide: KeyStateCache, useFactory: () => new KeyStateCache(() => 0) },
        ApiKeysReadModel,
        ApiKeyStates,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestMiddleware).forRoutes('*');
  }
}
