import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiRoute, KEY_LIST } from '../http/openapi';
import { isLiveKeyOf } from '@app/domain';
import { toView } from '@app/access';
import { AuthGuard, Caller } from '../auth/auth.guard';
import { ValidBody } from '../http/body-validation';
import { Reply, success } from '../http/envelope';
import { MAX_PAGE_SIZE, MAX_STARTING_AFTER, PageQuery, pageOf } from '../http/page-query';
import { Principal } from '../http/request-context';
import { ApiKeyStates } from '../read-model/api-key-states';

@ApiTags('API keys')
@Controller('api_keys')
@UseGuards(AuthGuard)
export class ListApiKeysController {
  constructor(private readonly states: ApiKeyStates) {}

  /**
   * The caller's live keys by ascending id: all of them (at most MAX_KEYS_PER_USER), or a page of
   * `limit` after `starting_after`, with a `Link: <…>; rel="next"` header when more follow.
   */
  @Get()
  @ApiRoute({
    summary: 'List your API keys',
    description:
      'Live keys by ascending id: all of them (at most MAX_KEYS_PER_USER), or a page of `limit` after ' +
      '`starting_after`, with `Link: <…>; rel="next"` while more follow.',
    ok: { status: 200, description: 'The keys; `key_value` is null in each.', data: KEY_LIST },
    errors: [401, 403, 422, 429, 503],
  })
  @ApiQuery({
    name: 'limit',
    required: false,
    description: 'Page size.',
    schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE },
  })
  @ApiQuery({
    name: 'starting_after',
    required: false,
    description: 'List keys with a larger id than this one.',
    schema: { type: 'integer', minimum: 1, maximum: MAX_STARTING_AFTER },
  })
  async list(@Query(new ValidBody(PageQuery, 'query')) query: PageQuery, @Caller() caller: Principal) {
    const all = await this.states.liveKeyIdsOf(caller.userId);
    const { page, headers } = pageOf(all, query, '/api/v1/api_keys');
    const keys = await this.states.findMany(page);
    // A key revoked since its owner's list was read is left out, as it will be from the next list.
    const views = page.map((id) => keys.get(id) ?? null).filter((key) => isLiveKeyOf(key, caller.userId));
    const body = success(
      200,
      'API keys retrieved successfully',
      views.map((key) => toView(key)),
    );
    return new Reply(body, headers);
  }
}
