import { VerifierError } from '../http/envelope';

/** A position of the state topic, as write answers name it (`<partition>:<offset>`). */
export interface StatePosition {
  readonly partition: number;
  readonly offset: number;
}

/** The body of POST /v1/keys/verify, read. */
export interface VerifyRequest {
  readonly key: string;
  readonly origin: string | null;
  readonly assistantId: string | null;
  readonly minPosition: StatePosition | null;
}

const FIELDS = new Set(['key', 'origin', 'assistant_id', 'min_position']);
const POSITION = /^(0|[1-9][0-9]{0,5}):(0|[1-9][0-9]{0,15})$/;
const MAX_TEXT = 2048;

const invalid = (problems: readonly string[]) =>
  new VerifierError(
    422,
    'body',
    'Validation failed: invalid request body',
    problems,
    'Fix the listed fields and send the request again.',
  );

const optionalText = (body: Record<string, unknown>, field: string, problems: string[]): string | null => {
  const value = body[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length > MAX_TEXT)
    problems.push(`${field} must be a string of at most ${MAX_TEXT} characters, or null`);
  return typeof value === 'string' ? value : null;
};

/**
 * Reads the request body (already parsed JSON): `key` (a string; one of no shape of ours is
 * NOT_FOUND, not a bad request, so a gateway forwards whatever it got), `origin`, `assistant_id`
 * and `min_position` (optional). Throws a 422 naming every problem, each unknown field too.
 */
export function readVerifyRequest(body: unknown): VerifyRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid(['the request body must be a JSON object']);
  const fields = body as Record<string, unknown>;
  const problems = Object.keys(fields)
    .filter((field) => !FIELDS.has(field))
    .map((field) => `${field} is not allowed`);
  if (typeof fields.key !== 'string') problems.push('key must be a string');
  const origin = optionalText(fields, 'origin', problems);
  const assistantId = optionalText(fields, 'assistant_id', problems);
  let minPosition: StatePosition | null = null;
  const position = fields.min_position;
  if (position !== undefined && position !== null) {
    const match = typeof position === 'string' ? POSITION.exec(position) : null;
    if (match && Number.isSafeInteger(Number(match[2])))
      minPosition = { partition: Number(match[1]), offset: Number(match[2]) };
    else problems.push('min_position must be "<partition>:<offset>" (two non-negative integers), or null');
  }
  if (problems.length > 0) throw invalid(problems);
  return { key: fields.key as string, origin, assistantId, minPosition };
}
