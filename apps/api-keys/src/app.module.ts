import { DynamicModule, Logger, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { MongooseModule, getModelToken } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { AppConfig, APP_CONFIG } from './config/config';
import { kafkaLogOf } from './logging';
import { CreateApiKeyController } from './create-api-key/create-api-key.controller';
import { CreateApiKeyHandler } from './create-api-key/create-api-key.handler';
import { DeleteApiKeyController } from './delete-api-key/delete-api-key.controller';
import { DeleteApiKeyHandler } from './delete-api-key/delete-api-key.handler';
import { EventLog } from './event-log/event-log';
import { GetApiKeyController } from './get-api-key/get-api-key.controller';
import { GetApiKeyHistoryController } from './get-api-key-history/get-api-key-history.controller';
import { GetApiKeyPropagationController } from './get-api-key-propagation/get-api-key-propagation.controller';
import { GetApiKeyUsageController } from './get-api-key-usage/get-api-key-usage.controller';
import { HealthController } from './health/health.controller';
import { HTTP_STACK_PROVIDERS } from './http/http-stack';
import { MetricsController } from './health/metrics.controller';
import { SchemasController } from './http/schemas.controller';
import { ListApiKeysController } from './list-api-keys/list-api-keys.controller';
import { ProjectionProgress } from './projector/projection-progress';
import { PROJECTOR_ENABLED, Projector } from './projector/projector';
import { decodeMarks } from './projector/state-marks';
import { ApiKeyStates, EVENT_PARTITIONS } from './read-model/api-key-states';
import { ApiKeysReadModel } from './read-model/api-keys.read-model';
import { KeyStateCache } from './read-model/key-state-cache';
import { ReadModelHealth } from './read-model/read-model-health';
import { IdAllocator } from './read-model/id-allocator';
import {
  API_KEY_ID_BLOCKS,
  CONNECTION_OPTIONS,
  IdBlockDocument,
  READ_MODELS,
  USER_EMAIL_CLAIMS,
  USER_ID_BLOCKS,
  apiKeyIdBlockSchema,
  userEmailClaimSchema,
  userIdBlockSchema,
} from './read-model/schemas';
import { UnknownHashes } from './read-model/unknown-hashes';
import { FLEET_USAGE, MongoFleetUsageStore, fleetUsageSchema } from './rate-limits/fleet-usage.store';
import { FLEET_MEMBERSHIP, FLEET_USAGE_STORE } from './rate-limits/rate-limits';
import { RollApiKeyController } from './roll-api-key/roll-api-key.controller';
import { RollApiKeyHandler } from './roll-api-key/roll-api-key.handler';
import { UpdateApiKeyController } from './update-api-key/update-api-key.controller';
import { UpdateApiKeyHandler } from './update-api-key/update-api-key.handler';
import { USER_ID_ALLOCATOR, Users } from './users/users';
import { HEARTBEATS_ENABLED, VerifierHeartbeats } from './verifier-heartbeats/verifier-heartbeats';
import { KEY_USAGE, keyUsageSchema } from './usage/key-usage';
import { UsageCounter } from './usage/usage-counter';
import { UsageProjector } from './usage/usage-projector';
import { UsageStore } from './usage/usage-store';
import { API_KEY_ID_ALLOCATOR, CommandFlow } from './write-path/command-flow';
import { EventRecorder } from './write-path/event-recorder';
import { KeyLock } from './write-path/key-lock';

// Key ids are claimed a hundred at a time (one insert per hundred creations); users are rare and
// made by one-off bootstrap processes, so they claim one id at a time.
const KEY_ID_BLOCK = 100;

export interface AppOptions {
  /** The HTTP service runs the projector; the bootstrap command does not. */
  readonly projector: boolean;
}

@Module({})
export class AppModule {
  static register(config: AppConfig, options: AppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CqrsModule.forRoot(),
        MongooseModule.forRoot(config.mongodbUri, CONNECTION_OPTIONS),
        MongooseModule.forFeature([
          ...READ_MODELS,
          { name: API_KEY_ID_BLOCKS, schema: apiKeyIdBlockSchema },
          { name: USER_ID_BLOCKS, schema: userIdBlockSchema },
          { name: USER_EMAIL_CLAIMS, schema: userEmailClaimSchema },
          { name: FLEET_USAGE, schema: fleetUsageSchema },
          { name: KEY_USAGE, schema: keyUsageSchema },
        ]),
      ],
      controllers: [
        HealthController,
        MetricsController,
        SchemasController,
        CreateApiKeyController,
        ListApiKeysController,
        GetApiKeyController,
        GetApiKeyHistoryController,
        GetApiKeyPropagationController,
        GetApiKeyUsageController,
        UpdateApiKeyController,
        DeleteApiKeyController,
        RollApiKeyController,
      ],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: PROJECTOR_ENABLED, useValue: options.projector },
        // The HTTP service listens to the verifiers (propagation); the bootstrap command does not.
        { provide: HEARTBEATS_ENABLED, useValue: options.projector },
        ...HTTP_STACK_PROVIDERS,
        {
          provide: EventLog,
          useFactory: () => EventLog.open(config.kafka, kafkaLogOf(new Logger('kafka')), config.schemaBaseUrl),
        },
        {
          provide: ProjectionProgress,
          inject: [ApiKeysReadModel],
          useFactory: (readModel: ApiKeysReadModel) =>
            new ProjectionProgress(async (topic, partition) => {
              const checkpoint = await readModel.checkpoint(topic, partition);
              return { offset: checkpoint?.offset ?? -1, marks: decodeMarks(checkpoint?.state_marks) };
            }),
        },
        {
          provide: API_KEY_ID_ALLOCATOR,
          inject: [getModelToken(API_KEY_ID_BLOCKS), ApiKeysReadModel, EventLog],
          useFactory: (blocks: Model<IdBlockDocument>, readModel: ApiKeysReadModel, log: EventLog) =>
            new IdAllocator(
              blocks,
              async () => (await readModel.largestIds(log.topic, log.partitionCount)).keyId,
              KEY_ID_BLOCK,
            ),
        },
        {
          provide: USER_ID_ALLOCATOR,
          inject: [getModelToken(USER_ID_BLOCKS), ApiKeysReadModel, EventLog],
          useFactory: (blocks: Model<IdBlockDocument>, readModel: ApiKeysReadModel, log: EventLog) =>
            new IdAllocator(blocks, async () => (await readModel.largestIds(log.topic, log.partitionCount)).userId, 1),
        },
        { provide: EVENT_PARTITIONS, inject: [EventLog], useFactory: (log: EventLog) => log.partitionCount },
        { provide: UnknownHashes, useValue: UnknownHashes.forService() },
        {
          provide: KeyStateCache,
          inject: [EventLog],
          useFactory: (log: EventLog) => new KeyStateCache((id) => log.partitionOf(id)),
        },
        // The budgets hold for the fleet: the instances are the consumer group's members.
        { provide: FLEET_USAGE_STORE, useClass: MongoFleetUsageStore },
        {
          provide: FLEET_MEMBERSHIP,
          inject: [Projector],
          useFactory: (projector: Projector) => ({ members: () => projector.groupMembers() }),
        },
        ApiKeysReadModel,
        ApiKeyStates,
        ReadModelHealth,
        EventRecorder,
        { provide: KeyLock, useValue: new KeyLock(config.keyQueueLimit) },
        CommandFlow,
        Projector,
        VerifierHeartbeats,
        UsageCounter,
        UsageProjector,
        UsageStore,
        Users,
        CreateApiKeyHandler,
        UpdateApiKeyHandler,
        DeleteApiKeyHandler,
        RollApiKeyHandler,
      ],
    };
  }
}
