import { Body, Controller, HttpCode, Logger, Param, Put, UseGuards } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, mongo } from 'mongoose';
import { ApiKeyState, pickChanges } from '@app/domain';
import { ApiKeyIdPipe } from '../../apps/api-keys/src/api-key-resource/api-key-id.pipe';
import { toView } from '@app/access';
import { AuthGuard, Caller } from '../../apps/api-keys/src/auth/auth.guard';
import { ApiKeyNotFoundError } from '../../apps/api-keys/src/errors';
import { ValidBody } from '../../apps/api-keys/src/http/body-validation';
import { success } from '../../apps/api-keys/src/http/envelope';
import { Principal } from '../../apps/api-keys/src/http/request-context';
import { KeyLock } from '../../apps/api-keys/src/write-path/key-lock';
import { ApiKeyStates } from '../../apps/api-keys/src/read-model/api-key-states';
import { ApiKeyDocument } from '../../apps/api-keys/src/read-model/api-key.document';
import { API_KEYS } from '../../apps/api-keys/src/read-model/schemas';
import { UpdateApiKeyRequest, changesOf } from '../../apps/api-keys/src/update-api-key/update-api-key.request';

// FerretDB's SQLite backend can refuse a write while another holds the database lock; MongoDB never
// says this. A CRUD service on FerretDB has to retry it, so the baseline does, briefly.
const LOCKED = /database is locked|SQLITE_BUSY/;
const MAX_ATTEMPTS = 5;

/** Logged (at warn, so it shows at LOG_LEVEL=warn) for every retried write; the bench counts them. */
export const RETRIED_WRITE = 'bench-crud: write retried after SQLITE_BUSY';

/**
 * The plain alternative the benchmark compares against, built as well as a CRUD service on the same
 * store would be: the same route, guard, pipes and envelope as the service's PUT; the key is read by
 * `_id` (the guard read the caller's key by hash document and `_id` the same way), checked, and
 * written with ONE `updateOne` filtered by `_id` alone (any other filter scans the collection on
 * FerretDB); the answer is the read state with the changes applied, as stored. No command bus, no
 * Kafka, no projector. Within this process a key's PUTs run one after another (like the service's
 * per-key lock), so a check never races a write to the same key here. Bench-only: never part of
 * the service.
 */
@Controller('api_keys')
@UseGuards(AuthGuard)
export class CrudUpdateController {
  private readonly logger = new Logger('crud');
  private readonly locks = new KeyLock();

  constructor(
    @InjectModel(API_KEYS) private readonly keys: Model<ApiKeyDocument>,
    private readonly states: ApiKeyStates,
  ) {}

  @Put(':id')
  @HttpCode(200)
  update(
    @Param('id', ApiKeyIdPipe) id: number,
    @Body(new ValidBody(UpdateApiKeyRequest)) body: UpdateApiKeyRequest,
    @Caller() caller: Principal,
  ) {
    return this.locks.run(String(id), async () => {
      const current = await this.states.findOwned(id, caller.userId);
      if (!current) throw new ApiKeyNotFoundError();
      const next: ApiKeyState = {
        ...current,
        ...pickChanges(changesOf(body)),
        updated_at: new Date().toISOString(),
        version: current.version + 1,
      };
      const { updated_at, version } = next;
      const set = { ...changesOf(body), updated_at, version };
      const result = await this.withRetry(() => this.collection().updateOne({ _id: String(id) }, { $set: set }));
      if (result.matchedCount !== 1) throw new ApiKeyNotFoundError();
      return success(200, 'API key updated successfully', toView(next));
    });
  }

  // The driver's collection, as the service's read model writes: no mongoose casting on the way.
  private collection(): mongo.Collection<ApiKeyDocument> {
    return this.keys.collection as unknown as mongo.Collection<ApiKeyDocument>;
  }

  private async withRetry<T>(write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !(error instanceof Error) || !LOCKED.test(error.message)) throw error;
        this.logger.warn({ msg: RETRIED_WRITE, attempt });
        await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 10));
      }
    }
  }
}
