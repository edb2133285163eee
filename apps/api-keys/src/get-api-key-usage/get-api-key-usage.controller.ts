import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiKeyIdPipe } from '../api-key-resource/api-key-id.pipe';
import { AuthGuard, Caller } from '../auth/auth.guard';
import { ApiKeyNotFoundError } from '../errors';
import { Reply, success } from '../http/envelope';
import { ApiRoute, KEY_USAGE } from '../http/openapi';
import { Principal } from '../http/request-context';
import { ApiKeyStates } from '../read-model/api-key-states';
import { KeyUsageDocument, noVerifications } from '../usage/key-usage';
import { UsageStore } from '../usage/usage-store';

/** A time of the usage topic (milliseconds) as the API answers times: UTC, whole seconds. */
const toSecond = (time: string | null) => (time === null ? null : `${time.slice(0, 19)}Z`);

/** What GET /api_keys/:id/usage answers: null and zeros for a key never used. */
export function usageView(doc: KeyUsageDocument | null) {
  return {
    last_used_at: toSecond(doc?.last_used_at ?? null),
    previous_last_used_at: toSecond(doc?.previous_last_used_at ?? null),
    verifications: { ...noVerifications(), ...doc?.verifications },
  };
}

@ApiTags('API keys')
@Controller('api_keys')
@UseGuards(AuthGuard)
export class GetApiKeyUsageController {
  constructor(
    private readonly states: ApiKeyStates,
    private readonly usage: UsageStore,
  ) {}

  /**
   * A key's usage, as the usage projector has summed the usage topic: uses by verifiers and by
   * this API's authentication, apart from the key's state (no version, ETag or history). Its owner
   * sees it after revoking the key too; another user's key is a 404 like a missing one.
   */
  @Get(':id/usage')
  @ApiRoute({
    summary: 'Get an API key’s usage',
    description:
      'Uses of the key counted where it was presented (every verifier, and this API’s own authentication), ' +
      'published at most every USAGE_FLUSH_MS and then projected: a use shows here within about that long. ' +
      'Revoked keys keep their usage.',
    ok: { status: 200, description: 'The key’s usage; null and zeros when it was never used.', data: KEY_USAGE },
    errors: [401, 403, 404, 429, 503],
  })
  @ApiParam({ name: 'id', description: 'The key id.', schema: { type: 'integer', minimum: 1 } })
  async get(@Param('id', ApiKeyIdPipe) id: number, @Caller() caller: Principal) {
    const key = await this.states.findAs(id, caller.userId);
    if (!key || key.user_id !== caller.userId) throw new ApiKeyNotFoundError();
    return new Reply(success(200, 'API key usage retrieved successfully', usageView(await this.usage.find(id))));
  }
}
