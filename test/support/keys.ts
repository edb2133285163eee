import { createHash } from 'node:crypto';
import { ApiKeyView } from '@app/access';
import { Reply, call, expectErrorEnvelope } from './http';
import { RunningService } from './service';
import { TopicRecord, readTopic } from './topic';

export const API_KEYS_PATH = '/api/v1/api_keys';

/** The API key resource as the service answers it (the view's own type). */
export type ApiKeyData = ApiKeyView;

export const sha256Hex = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Anything shaped like a raw key the service mints or once minted (readable prefix, then the rest),
 * or a good part of one: base62 random part and checksum since keys carry a checksum, base64url
 * before. Loose on purpose, so a scan with it finds a key cut short too.
 */
export const RAW_KEY_SHAPE = /vk_(priv|pub)_[A-Za-z0-9_-]{16,}/;

export const keyPath = (id: number | string) => `${API_KEYS_PATH}/${id}`;

// The routes as a client calls them, authenticated with `key` in X-API-Key; each returns the reply as it is.
export const listKeys = (service: RunningService, key: string) => call(service.url, 'GET', API_KEYS_PATH, { key });

export const getKey = (
  service: RunningService,
  key: string,
  id: number | string,
  headers: Record<string, string> = {},
) => call(service.url, 'GET', keyPath(id), { key, headers });

/** PUT with the body `{"api_key": fields}`. */
export const updateKey = (
  service: RunningService,
  key: string,
  id: number | string,
  fields: Record<string, unknown>,
  headers: Record<string, string> = {},
) => call(service.url, 'PUT', keyPath(id), { key, headers, body: { api_key: fields } });

export const deleteKey = (
  service: RunningService,
  key: string,
  id: number | string,
  headers: Record<string, string> = {},
) => call(service.url, 'DELETE', keyPath(id), { key, headers });

/** POST /api/v1/api_keys that must succeed with 201; returns the created key (with its key_value). */
export async function createKey(
  service: RunningService,
  key: string,
  fields: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<ApiKeyData> {
  const reply = await call(service.url, 'POST', API_KEYS_PATH, {
    key,
    headers,
    body: { api_key: { name: 'A key', key_type: 'private', ...fields } },
  });
  if (reply.status !== 201) throw new Error(`create answered ${reply.status}: ${reply.text}`);
  return reply.body.data as ApiKeyData;
}

/**
 * The records of one key on the log, in log order (only events of `type` when given): those whose
 * message key or api_key_id names it, so that a record labelled wrongly in either still shows.
 */
export async function eventsOfKey(topic: string, id: number, type?: string): Promise<TopicRecord[]> {
  return (await readTopic(topic)).filter(
    (r) => (r.key === String(id) || r.json?.api_key_id === id) && (type === undefined || r.json?.event_type === type),
  );
}

const identity = (r: TopicRecord) => `${r.partition}:${r.offset}:${r.headers.ce_id ?? ''}`;

/**
 * Sends a request that must be refused with `status` in the error envelope, and proves from the
 * topic itself (read before and after) that it appended nothing.
 */
export async function expectRefusedWithoutEvent(
  topic: string,
  status: number,
  request: () => Promise<Reply>,
): Promise<Reply> {
  const before = await readTopic(topic);
  const reply = await request();
  expectErrorEnvelope(reply, status);
  const after = await readTopic(topic);
  expect(after.map(identity)).toEqual(before.map(identity));
  return reply;
}
