import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiKeyIdPipe } from '../api-key-resource/api-key-id.pipe';
import { AuthGuard, Caller } from '../auth/auth.guard';
import { ApiKeyNotFoundError } from '../errors';
import { ValidBody } from '../http/body-validation';
import { Reply, success } from '../http/envelope';
import { ApiRoute, KEY_HISTORY } from '../http/openapi';
import { MAX_PAGE_SIZE, MAX_STARTING_AFTER, PageQuery, pageOf } from '../http/page-query';
import { Principal } from '../http/request-context';
import { ApiKeyStates } from '../read-model/api-key-states';
import { ApiKeysReadModel } from '../read-model/api-keys.read-model';

/** Without `limit`, a page of this many events (a key's history has no bound of its own). */
const DEFAULT_PAGE = 100;

@ApiTags('API keys')
@Controller('api_keys')
@UseGuards(AuthGuard)
export class GetApiKeyHistoryController {
  constructor(
    private readonly states: ApiKeyStates,
    private readonly readModel: ApiKeysReadModel,
  ) {}

  /**
   * A key's events, oldest first, one per version (an event the log ignored has none), read from
   * the history the projector keeps. Its owner sees it even after revoking the key.
   */
  @Get(':id/events')
  @ApiRoute({
    summary: 'List an API key’s history',
    description:
      `Every change, oldest first, by version: a page of \`limit\` (default ${DEFAULT_PAGE}) after the version ` +
      '`starting_after`, with `Link: <…>; rel="next"` while more follow. Revoked keys keep their history.',
    ok: { status: 200, description: 'The events.', data: KEY_HISTORY },
    errors: [401, 403, 404, 422, 429, 503],
  })
  @ApiParam({ name: 'id', description: 'The key id.', schema: { type: 'integer', minimum: 1 } })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE } })
  @ApiQuery({
    name: 'starting_after',
    required: false,
    description: 'A version.',
    schema: { type: 'integer', minimum: 1, maximum: MAX_STARTING_AFTER },
  })
  async history(
    @Param('id', ApiKeyIdPipe) id: number,
    @Query(new ValidBody(PageQuery, 'query')) query: PageQuery,
    @Caller() caller: Principal,
  ) {
    const key = await this.states.findAs(id, caller.userId);
    if (!key || key.user_id !== caller.userId) throw new ApiKeyNotFoundError();
    const versions = Array.from({ length: key.version }, (_, i) => i + 1);
    const { page, headers } = pageOf(versions, query, `/api/v1/api_keys/${id}/events`, DEFAULT_PAGE);
    const entries = await this.readModel.eventsOf(id, page);
    const data = entries.map((entry) => ({
      version: entry.version,
      event_id: entry.event_id,
      event_type: entry.event_type,
      occurred_at: entry.occurred_at,
      correlation_id: entry.correlation_id,
      ...(entry.actor_key_id !== undefined && { actor_key_id: entry.actor_key_id }),
      ...(entry.changes && { changes: entry.changes }),
    }));
    return new Reply(success(200, 'API key history retrieved successfully', data), headers);
  }
}
