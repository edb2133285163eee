import { Body, Controller, HttpCode, Logger, Param, Put, UseGuards } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { ApiKeyIdPipe } from '../../apps/api-keys/src/api-key-resource/api-key-id.pipe';
import { toView } from '../../apps/api-keys/src/api-key-resource/api-key.view';
import { AuthGuard, Caller } from '../../apps/api-keys/src/auth/auth.guard';
import { ApiKeyNotFoundError } from '../../apps/api-keys/src/errors';
import { ValidBody } from '../../apps/api-keys/src/http/body-validation';
import { success } from '../../apps/api-keys/src/http/envelope';
import { Principal } from '../../apps/api-keys/src/http/request-context';
import { ApiKeyDocument } from '../../apps/api-keys/src/read-model/api-key.document';
import { API_KEYS } from '../../apps/api-keys/src/read-model/schemas';
import { UpdateApiKeyRequest, changesOf } from '../../apps/api-keys/src/update-api-key/update-api-key.request';

// FerretDB's SQLite backend refuses a write while another holds the database lock; MongoDB never
// says this. A CRUD service on FerretDB has to retry it, so the baseline does, briefly.
const LOCKED = /database is locked|SQLITE_BUSY/;
const MAX_ATTEMPTS = 5;

/** Logged (at warn, so it shows at LOG_LEVEL=warn) for every retried write; the bench counts them. */
export const RETRIED_WRITE = 'bench-crud: write retried after SQLITE_BUSY';

/**
 * The plain alternative the benchmark compares against: the same route, guard, pipes and
 * envelope as the service's PUT, but the handler updates MongoDB directly and returns the
 * document. No command bus, no Kafka, no projector. Bench-only: never part of the service.
 */
@Controller('api_keys')
@UseGuards(AuthGuard)
export class CrudUpdateController {
  private readonly logger = new Logger('crud');

  constructor(@InjectModel(API_KEYS) private readonly keys: Model<ApiKeyDocument>) {}

  @Put(':id')
  @HttpCode(200)
  async update(
    @Param('id', ApiKeyIdPipe) id: number,
    @Body(new ValidBody(UpdateApiKeyRequest)) body: UpdateApiKeyRequest,
    @Caller() caller: Principal,
  ) {
    const set = { ...changesOf(body), updated_at: new Date() };
    const key = await this.withRetry(() =>
      this.keys
        .findOneAndUpdate(
          { _id: String(id), user_id: caller.userId, deleted_at: null },
          { $set: set },
          { returnDocument: 'after' },
        )
        .lean<ApiKeyDocument>()
        .exec(),
    );
    if (!key) throw new ApiKeyNotFoundError();
    return success(200, 'API key updated successfully', toView(key));
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
