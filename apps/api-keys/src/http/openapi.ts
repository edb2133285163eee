import { INestApplication, applyDecorators } from '@nestjs/common';
import {
  ApiBody,
  ApiHeader,
  ApiOperation,
  ApiResponse,
  DocumentBuilder,
  OpenAPIObject,
  SwaggerModule,
} from '@nestjs/swagger';
import { USAGE_CODES, contractSchemas, fieldSchemas } from '@app/contracts';
import { FieldRule, KEY_TYPES, MAX_PREVIOUS_GRACE_SECONDS, UPDATABLE_FIELDS } from '@app/domain';
import { ENTITY_TAGS_PATTERN } from './etags';
import { MAX_JSON_DEPTH } from './json-body.interceptor';
import { IDEMPOTENCY_KEY_MAX_LENGTH, IDEMPOTENCY_KEY_PATTERN, REQUEST_ID_PATTERN } from './request-context';

// The OpenAPI document is generated from the code: the routes from the controllers, the bodies
// and the key resource from the domain's field list as libs/contracts presents it, the answers
// from the statuses each route is decorated with below. It is served at /api/v1/openapi.json and
// rendered at /docs.

type Schema = Record<string, unknown>;
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const fields = Object.entries(UPDATABLE_FIELDS) as [string, FieldRule<unknown>][];
const FIELD_NAMES = fields.map(([name]) => name);

const time = (description: string) => ({
  type: 'string',
  format: 'date-time',
  examples: ['2024-01-15T11:00:00Z'],
  description:
    `${description} UTC, in whole seconds, as the API always answered. The events and the state topic ` +
    'carry the same time with milliseconds (2024-01-15T11:00:00.123Z): truncate theirs to the second to join.',
});

const SCHEMAS: Record<string, Schema> = {
  ApiKey: {
    type: 'object',
    description: 'An API key. `key_value` is the secret: shown only in the answer that creates the key.',
    additionalProperties: false,
    required: ['id', 'key_type', ...FIELD_NAMES, 'key_value', 'transient_assistant', 'user_id', 'user_email'].concat([
      'created_at',
      'updated_at',
      'previous_key_expires_at',
    ]),
    properties: {
      id: { type: 'integer', minimum: 1 },
      key_type: { enum: [...KEY_TYPES], description: 'Fixed at creation. Public keys cannot manage API keys.' },
      ...fieldSchemas(),
      key_value: { type: ['string', 'null'], description: 'The secret; null everywhere but the create answer.' },
      transient_assistant: { type: 'boolean', description: 'Fixed at creation.' },
      user_id: { type: 'integer', minimum: 1 },
      user_email: { type: 'string', format: 'email' },
      created_at: time("The ApiKeyCreated event's occurred_at."),
      updated_at: time('occurred_at of the last event that changed the key.'),
      previous_key_expires_at: {
        type: ['string', 'null'],
        format: 'date-time',
        description:
          'After a roll with a grace period, while the replaced secret still works: when it stops (UTC, whole ' +
          'seconds); otherwise null (also after a roll with expire_previous_in_seconds 0).',
      },
    },
  },
  KeyEvent: {
    type: 'object',
    description: 'One applied event of a key, at the version it made.',
    additionalProperties: false,
    required: ['version', 'event_id', 'event_type', 'occurred_at', 'correlation_id'],
    properties: {
      version: { type: 'integer', minimum: 1 },
      event_id: { type: 'string', format: 'uuid' },
      event_type: { enum: ['ApiKeyCreated', 'ApiKeyUpdated', 'ApiKeyDeleted', 'ApiKeyRolled'] },
      actor_key_id: {
        type: ['integer', 'null'],
        minimum: 1,
        description:
          'The key that made the request; null for an operator bootstrap. Absent for events written before it ' +
          'was recorded.',
      },
      occurred_at: {
        type: 'string',
        format: 'date-time',
        description:
          "The event's own time, with milliseconds (2024-01-15T11:00:00.123Z); the key's created_at and " +
          'updated_at are such a time truncated to the second.',
      },
      correlation_id: { type: 'string' },
      changes: {
        type: 'object',
        description: 'For ApiKeyUpdated: exactly the fields the request set, with their new values.',
        properties: fieldSchemas(),
      },
    },
  },
  KeyUsage: {
    type: 'object',
    description:
      'How a key has been used: counted where it was presented (verifiers, and this API’s own authentication), ' +
      'apart from its state. Null and zeros when never used.',
    additionalProperties: false,
    required: ['last_used_at', 'previous_last_used_at', 'verifications'],
    properties: {
      last_used_at: {
        type: ['string', 'null'],
        format: 'date-time',
        examples: ['2024-01-15T11:00:00Z'],
        description: 'The latest use of the key, whatever its outcome (UTC, whole seconds); null: never.',
      },
      previous_last_used_at: {
        type: ['string', 'null'],
        format: 'date-time',
        examples: ['2024-01-15T11:00:00Z'],
        description:
          'The latest use that presented a previous secret of the key (one replaced by a roll, within its grace), ' +
          'whatever its outcome (UTC, whole seconds); null: never. Once it is older than the last roll, the ' +
          'replaced secret has gone quiet.',
      },
      verifications: {
        type: 'object',
        description:
          'Uses by outcome, as the verifier names them (the API counts its own authentication VALID, or EXPIRED ' +
          'or DISABLED when it refused the key). A secret that matched no key is counted for none.',
        additionalProperties: false,
        required: [...USAGE_CODES],
        properties: Object.fromEntries(USAGE_CODES.map((code) => [code, { type: 'integer', minimum: 0 }])),
      },
    },
  },
  Status: {
    type: 'object',
    additionalProperties: false,
    required: ['code', 'message'],
    properties: {
      code: { type: 'integer', description: 'Always equals the HTTP status.' },
      message: { type: 'string' },
    },
  },
  Error: {
    type: 'object',
    description: 'Every error answer: what went wrong, one entry per problem, and what to do.',
    additionalProperties: false,
    required: ['status', 'error', 'errors', 'details'],
    properties: {
      status: ref('Status'),
      error: { type: 'string' },
      errors: { type: 'array', items: { type: 'string' }, minItems: 1 },
      details: { type: 'string' },
    },
  },
  Accepted: {
    type: 'object',
    description: 'A write that is durable in the event log but not yet applied to reads.',
    additionalProperties: false,
    required: ['id', 'event_id'],
    properties: { id: { type: 'integer', minimum: 1 }, event_id: { type: 'string', format: 'uuid' } },
  },
  DryRun: {
    type: 'object',
    description:
      'A dry run: the key as the change would leave it, and the event it would append. Nothing was recorded.',
    additionalProperties: false,
    required: ['key', 'event'],
    properties: { key: ref('ApiKey'), event: ref('ApiKeyUpdatedEvent') },
  },
  ApiKeyUpdatedEvent: {
    description:
      'An ApiKeyUpdated event as the events topic carries it: the service writes schema_version 3 (the contract ' +
      'schemas in libs/contracts/schemas/).',
    oneOf: updatedEventSchemas(),
  },
  CreateApiKeyRequest: apiKeyRequest({
    required: ['key_type', ...fields.filter(([, rule]) => rule.requiredOnCreate).map(([name]) => name)],
    properties: {
      ...fieldSchemas('request'),
      key_type: { enum: [...KEY_TYPES] },
      transient_assistant: { type: 'boolean', default: false },
    },
  }),
  RollApiKeyRequest: {
    type: 'object',
    description: 'Optional. How long the secret being replaced keeps working.',
    additionalProperties: false,
    properties: {
      expire_previous_in_seconds: {
        type: 'integer',
        minimum: 0,
        maximum: MAX_PREVIOUS_GRACE_SECONDS,
        default: 0,
        description: 'Seconds the replaced secret still authenticates; 0 (the default) stops it at once.',
      },
    },
  },
  UpdateApiKeyRequest: apiKeyRequest({
    description: `Sets at least one of ${FIELD_NAMES.join(', ')}; fields left out keep their value, and arrays are replaced whole. Any other field (key_type, key_value...) is refused with 422.`,
    minProperties: 1,
    properties: fieldSchemas('request'),
  }),
};

/** The contract's ApiKeyUpdated schemas, every version, without the keywords that name their files. */
function updatedEventSchemas(): Schema[] {
  return contractSchemas()
    .filter(({ file }) => file.startsWith('api-key-updated.'))
    .map(({ schema }) => {
      const { $schema: _dialect, $id: _id, $comment: _comment, ...rest } = schema;
      return rest;
    });
}

/** A request body: `{"api_key": {...}}`, nothing else at either level. */
function apiKeyRequest(apiKey: Schema): Schema {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['api_key'],
    properties: { api_key: { type: 'object', additionalProperties: false, ...apiKey } },
  };
}

const envelope = (data: Schema): Schema => ({
  type: 'object',
  additionalProperties: false,
  required: ['status', 'data'],
  properties: { status: ref('Status'), data },
});

const RATE_LIMIT_HEADERS = {
  'X-RateLimit-Limit': {
    description:
      'The tighter of the key’s and its user’s request budgets per window (for failed authentications: the address’s).',
    schema: { type: 'integer' },
  },
  'X-RateLimit-Remaining': { description: 'What is left of that budget.', schema: { type: 'integer' } },
  'X-RateLimit-Reset': {
    description: 'When that budget is full again, in Unix epoch seconds.',
    schema: { type: 'integer' },
  },
  'X-Request-Id': {
    description: 'The request id (yours, or generated): the correlation_id of the events it causes.',
    schema: { type: 'string' },
  },
};
const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } } };

/** Why each error status is answered, in the words a client needs. */
const ERRORS: Record<number, string> = {
  400: `Malformed JSON, a body that does not decode (Content-Encoding), or JSON nested deeper than ${MAX_JSON_DEPTH} levels.`,
  401: 'No API key, a malformed, unknown or revoked one, or different keys in X-API-Key and Authorization.',
  403: 'A public key: only private keys manage API keys.',
  404: 'No such key, or it is revoked, or it belongs to another user (indistinguishable by design).',
  412: 'If-Match named another version than the key has, now or (decided by the log) when this write was applied; the answer carries the current ETag. Nothing changed.',
  413: 'The body is over HTTP_BODY_LIMIT_BYTES.',
  415: 'Not Content-Type: application/json (UTF-8), or a Content-Encoding other than gzip, deflate or br.',
  422: 'The body or query breaks a rule (`errors` names each field and its problem), or the Idempotency-Key was used for a different request. Nothing was recorded.',
  429: 'Over the key’s or its user’s request budget, over the address’s failed-authentication budget, or too many changes to one key already waiting. Nothing was done.',
  503: 'Kafka or MongoDB is unreachable, or the request ran out of time; `details` says whether anything was recorded.',
};

/** A write's receipt, on its 200/201 (a 202 has none: its state record may not exist yet). */
const STATE_POSITION = {
  'X-State-Position': {
    description:
      '`<partition>:<offset>` of the state topic at or after the record this write put there (for a delete, the ' +
      'tombstone). Send it as `min_position` to a verifier (POST /v1/keys/verify) to be answered from a state that ' +
      'includes this write. An Idempotency-Key retry repeats its first attempt’s. Absent when not known (a read ' +
      'model rebuilt since, or no state topic).',
    schema: { type: 'string', pattern: '^[0-9]+:[0-9]+$' },
  },
};

const response = (status: number, description: string, schema: Schema, extraHeaders: Record<string, unknown> = {}) =>
  ApiResponse({
    status,
    description,
    schema,
    headers: { ...RATE_LIMIT_HEADERS, ...(status === 429 || status === 503 ? RETRY_AFTER : {}), ...extraHeaders },
  });

/** The request headers a route may read besides the credentials and X-Request-Id, with their rules. */
const REQUEST_HEADERS: Record<
  'If-Match' | 'If-None-Match' | 'Idempotency-Key',
  { description: string; schema: Schema }
> = {
  'If-Match': {
    description:
      'Apply only if the key is at one of these versions: `*` (any), or a comma-separated list of ETags such as ' +
      '`"3"`. Compared strongly: a weak tag (`W/"3"`) or a well-formed tag this API never gives matches nothing, ' +
      'so a list of only those is answered 412. A blank header counts as absent; a value that is not an ' +
      'entity-tag list (RFC 9110) is a 400.',
    schema: { type: 'string', pattern: ENTITY_TAGS_PATTERN },
  },
  'If-None-Match': {
    description:
      'The ETags of the copies you hold: `*`, or a comma-separated list such as `"3", W/"4"`. Compared weakly ' +
      '(`W/"3"` matches `"3"`); a tag this API never gives matches nothing. When one matches the key the answer is ' +
      '304 with no body. A blank header counts as absent; a value that is not an entity-tag list (RFC 9110) is a 400.',
    schema: { type: 'string', pattern: ENTITY_TAGS_PATTERN },
  },
  'Idempotency-Key': {
    description:
      `1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters (\`!\` to \`~\`, no spaces) naming this request, ` +
      'such as a UUID; anything else is a 400. A retry with the same key and the same request, within ' +
      'IDEMPOTENCY_WINDOW_HOURS, is answered as the first attempt was and records nothing; the same key with ' +
      'another request is a 422.',
    schema: { type: 'string', minLength: 1, maxLength: IDEMPOTENCY_KEY_MAX_LENGTH, pattern: IDEMPOTENCY_KEY_PATTERN },
  },
};

/** Read on every request; never refused, since a request id only labels the request. */
const REQUEST_ID_HEADER = {
  name: 'X-Request-Id',
  in: 'header',
  required: false,
  description:
    'Your id for this request, echoed in the answer and kept as the correlation_id of the events it causes. ' +
    `Used when it matches \`${REQUEST_ID_PATTERN}\` (1 to 128 printable ASCII characters, no spaces); any other ` +
    'value is replaced by a generated UUID, never refused.',
  schema: { type: 'string' },
};

/** One route's documentation: what it does, its body, its successes and its errors. */
export function ApiRoute(spec: {
  summary: string;
  description?: string;
  body?: 'CreateApiKeyRequest' | 'UpdateApiKeyRequest' | 'RollApiKeyRequest';
  /** The body may be left out (no Content-Type needed then). */
  bodyOptional?: boolean;
  headers?: (keyof typeof REQUEST_HEADERS)[];
  ok: { status: 200 | 201; description: string; data: Schema };
  accepted?: { description: string; data: Schema };
  /** A write: its success carries X-State-Position. */
  receipt?: boolean;
  notModified?: boolean;
  errors: number[];
}): MethodDecorator {
  return applyDecorators(
    ApiOperation({ summary: spec.summary, description: spec.description }),
    ...(spec.body ? [ApiBody({ schema: ref(spec.body), required: !spec.bodyOptional })] : []),
    ...(spec.headers ?? []).map((name) => ApiHeader({ name, required: false, ...REQUEST_HEADERS[name] })),
    ...(spec.notModified ? [ApiResponse({ status: 304, description: 'Your copy is current: no body.' })] : []),
    response(spec.ok.status, spec.ok.description, envelope(spec.ok.data), spec.receipt ? STATE_POSITION : {}),
    ...(spec.accepted ? [response(202, spec.accepted.description, envelope(spec.accepted.data))] : []),
    ...spec.errors.map((status) => response(status, ERRORS[status], ref('Error'))),
  );
}

export const KEY = ref('ApiKey');
export const ACCEPTED = ref('Accepted');
/** What `PUT ?dry_run=true` answers in `data`: the key as it would be and the event it would append. */
export const DRY_RUN = ref('DryRun');
export const KEY_HISTORY = { type: 'array', items: ref('KeyEvent') };
export const KEY_LIST = { type: 'array', items: ref('ApiKey') };
export const KEY_USAGE = ref('KeyUsage');

/** Builds the document and serves it: JSON at /api/v1/openapi.json, a rendered page at /docs. */
export function serveOpenApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('API keys')
    .setVersion('1')
    .setDescription(
      'Manage the API keys of a voice-agent platform. Every change is an event in a Kafka log; a ' +
        'write answers 200 once its own event is applied, or 202 when it is recorded but not yet ' +
        'visible. Errors use one envelope (`Error`) whose `status.code` equals the HTTP status. A ' +
        'path asked with a method it does not answer gets 405 with an `Allow` header; a path that ' +
        'does not exist, 404.',
    )
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'X-API-Key',
        description:
          'Your API key. Surrounding spaces are ignored and a blank header counts as absent. With Authorization ' +
          'too, both must name the same key (else 401). Only private keys may use this API (else 403).',
      },
      'apiKey',
    )
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        description: 'The same API key as `Authorization: Bearer <key>` (scheme in any case); any other form is a 401.',
      },
      'bearer',
    )
    .addSecurityRequirements('apiKey')
    .addSecurityRequirements('bearer')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const operation of Object.values(
      operations as Record<string, { security?: unknown[]; parameters?: unknown[] }>,
    )) {
      // Every request is tagged with its id (RequestMiddleware), whatever its route.
      operation.parameters = [...(operation.parameters ?? []), REQUEST_ID_HEADER];
      // Operations outside /api/v1 (health, metrics) take no key.
      if (!path.startsWith('/api/v1/')) operation.security = [];
    }
  }
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...SCHEMAS } };
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'api/v1/openapi.json', useGlobalPrefix: false });
  return document;
}
