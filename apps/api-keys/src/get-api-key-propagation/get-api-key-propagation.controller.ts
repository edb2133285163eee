import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiKeyIdPipe } from '../api-key-resource/api-key-id.pipe';
import { AuthGuard, Caller } from '../auth/auth.guard';
import { ApiKeyNotFoundError } from '../errors';
import { success } from '../http/envelope';
import { ApiRoute } from '../http/openapi';
import { Bounds, Principal, RequestBounds } from '../http/request-context';
import { ApiKeyStates } from '../read-model/api-key-states';
import { VerifierHeartbeats } from '../verifier-heartbeats/verifier-heartbeats';
import { EventRecorder } from '../write-path/event-recorder';
import { propagationOf } from './propagation';

const POSITION = { type: ['string', 'null'], pattern: '^[0-9]+:[0-9]+$' };

/** What the route answers in `data`. */
const PROPAGATION = {
  type: 'object',
  additionalProperties: false,
  required: ['position', 'all_applied', 'verifiers'],
  properties: {
    position: {
      ...POSITION,
      description:
        'The state-topic position (`<partition>:<offset>`) at or after the key’s latest state record (a revoked ' +
        'key’s: its tombstone): what X-State-Position said for the key’s latest write. Null when not known.',
    },
    all_applied: {
      type: 'boolean',
      description: 'Every verifier heard has applied `position` (false when none was heard, or `position` is null).',
    },
    verifiers: {
      type: 'array',
      description: 'The verifiers heard within VERIFIER_HEARTBEAT_TIMEOUT_MS, a stopped one included, by instance.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['instance', 'applied', 'last_seen'],
        properties: {
          instance: { type: 'string', description: 'The verifier instance’s id.' },
          applied: {
            ...POSITION,
            description: 'How far it had applied the key’s state partition at its last heartbeat (null: nothing).',
          },
          last_seen: { type: 'string', format: 'date-time', description: 'When it sent its last heartbeat.' },
        },
      },
    },
  },
};

@ApiTags('API keys')
@Controller('api_keys')
@UseGuards(AuthGuard)
export class GetApiKeyPropagationController {
  constructor(
    private readonly states: ApiKeyStates,
    private readonly recorder: EventRecorder,
    private readonly heartbeats: VerifierHeartbeats,
  ) {}

  /**
   * How far the key's latest state has reached the verifiers: its receipt (as its latest write
   * answered with it) against each verifier's last heartbeat. Its owner asks this of revoked keys too.
   */
  @Get(':id/propagation')
  @ApiRoute({
    summary: 'Tell which verifiers have applied an API key’s latest state',
    description:
      'Whether every verifier heard from within VERIFIER_HEARTBEAT_TIMEOUT_MS has applied the key’s latest state ' +
      '(for a revoked key: that it is revoked). Heartbeats come every second, so a verifier’s `applied` may be ' +
      'a second behind; one that stopped counts until the timeout, not having applied anything newer. Revoked keys too.',
    ok: { status: 200, description: 'The key’s position and each verifier’s.', data: PROPAGATION },
    errors: [401, 403, 404, 429, 503],
  })
  @ApiParam({ name: 'id', description: 'The key id.', schema: { type: 'integer', minimum: 1 } })
  async propagation(
    @Param('id', ApiKeyIdPipe) id: number,
    @Caller() caller: Principal,
    @Bounds() bounds: RequestBounds,
  ) {
    const key = await this.states.findAs(id, caller.userId);
    if (!key || key.user_id !== caller.userId) throw new ApiKeyNotFoundError();
    const position = await this.recorder.receiptOfEarlier(key.id, key.applied.offset, bounds);
    return success(200, 'API key propagation retrieved successfully', propagationOf(position, this.heartbeats.heard()));
  }
}
