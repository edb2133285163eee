import { Controller, Get, Headers, Param, Query, UseGuards } from '@nestjs/common';
import { ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiRoute, KEY } from '../http/openapi';
import { ApiKeyIdPipe } from '../api-key-resource/api-key-id.pipe';
import { toView } from '@app/access';
import { AuthGuard, Caller } from '../auth/auth.guard';
import { ApiKeyNotFoundError, ValidationFailedError } from '../errors';
import { ValidBody } from '../http/body-validation';
import { Reply, success } from '../http/envelope';
import { etagOf, matches, parseEntityTags } from '../http/etags';
import { Principal } from '../http/request-context';
import { ApiKeyStates } from '../read-model/api-key-states';
import { ApiKeysReadModel } from '../read-model/api-keys.read-model';
import { KeyEventDocument, stateOfEntry } from '../read-model/schemas';
import { AT_PATTERN, KeyAsOfQuery, MAX_VERSION } from './key-as-of.query';

@ApiTags('API keys')
@Controller('api_keys')
@UseGuards(AuthGuard)
export class GetApiKeyController {
  constructor(
    private readonly states: ApiKeyStates,
    private readonly readModel: ApiKeysReadModel,
  ) {}

  @Get(':id')
  @ApiRoute({
    summary: 'Get an API key',
    description: 'Carries `ETag: "<version>"`; with a matching `If-None-Match` the answer is 304 with no body.',
    headers: ['If-None-Match'],
    ok: { status: 200, description: 'The key; `key_value` is null.', data: KEY },
    notModified: true,
    errors: [400, 401, 403, 404, 422, 429, 503],
  })
  @ApiParam({ name: 'id', description: 'The key id.', schema: { type: 'integer', minimum: 1 } })
  @ApiQuery({
    name: 'at',
    required: false,
    description:
      'The key as it was at this UTC time (with Z): 404 before it existed or after its deletion. Not with `version`.',
    schema: { type: 'string', format: 'date-time', pattern: AT_PATTERN },
  })
  @ApiQuery({
    name: 'version',
    required: false,
    description: 'The key as this version of it was (its ETag): 404 for a version it never had. Not with `at`.',
    schema: { type: 'integer', minimum: 1, maximum: MAX_VERSION },
  })
  async get(
    @Param('id', ApiKeyIdPipe) id: number,
    @Caller() caller: Principal,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Query(new ValidBody(KeyAsOfQuery, 'query')) query: KeyAsOfQuery,
  ) {
    if (query.at !== undefined && query.version !== undefined) {
      throw new ValidationFailedError(['give at or version, not both'], 'query');
    }
    if (query.at !== undefined || query.version !== undefined) return this.asOf(id, caller, query);
    const key = await this.states.findOwned(id, caller.userId);
    if (!key) throw new ApiKeyNotFoundError();
    const etag = { ETag: etagOf(key.version) };
    const unchanged = parseEntityTags('If-None-Match', ifNoneMatch, true);
    // The client's copy is current: no body (RFC 9110, 304 Not Modified).
    if (unchanged && matches(unchanged, key.version)) return new Reply(null, etag, 304);
    return new Reply(success(200, 'API key retrieved successfully', toView(key)), etag);
  }

  /**
   * The key as one of its history entries left it (each holds the state its event made, folded by
   * the domain's evolve): by version, one read by `_id`; by time, a binary search over the versions,
   * O(log versions) reads. Revoked keys keep their history, so they answer too; another user's key
   * is a 404 like a missing one.
   */
  private async asOf(id: number, caller: Principal, query: KeyAsOfQuery) {
    const key = await this.states.findAs(id, caller.userId);
    if (!key || key.user_id !== caller.userId) throw new ApiKeyNotFoundError();
    const at = query.at === undefined ? null : Date.parse(query.at);
    const version = at === null ? Number(query.version) : await this.versionAt(id, key.version, at);
    const entry = version >= 1 && version <= key.version ? (await this.readModel.eventsOf(id, [version]))[0] : null;
    // No key then: before it existed, a version it never had, or revoked by that time.
    const state = entry && stateOfEntry(entry);
    if (!entry || !state || state.deleted_at !== null) throw new ApiKeyNotFoundError();
    const moment = at ?? Date.parse(entry.occurred_at);
    return new Reply(success(200, 'API key as it was', toView(state, null, moment)), {
      ETag: etagOf(version),
    });
  }

  /** The last version made at or before `at` (0: none yet). */
  private async versionAt(id: number, latest: number, at: number): Promise<number> {
    let [low, high] = [0, latest];
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      const [entry]: KeyEventDocument[] = await this.readModel.eventsOf(id, [middle]);
      if (entry && Date.parse(entry.occurred_at) <= at) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}
