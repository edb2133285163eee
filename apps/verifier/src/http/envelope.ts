import { ServerResponse, STATUS_CODES } from 'node:http';

// The API's answer envelope (apps/api-keys/src/http/envelope.ts), which the verifier's answers
// share so that one client library reads both; envelope.spec.ts holds the two equal.

export const success = <T>(code: number, message: string, data: T) => ({ status: { code, message }, data });

export const failure = (code: number, error: string, errors: readonly string[], details: string) => ({
  status: { code, message: STATUS_CODES[code] ?? 'Error' },
  error,
  errors,
  details,
});

/** An error the verifier answers with: the envelope's fields and the headers that go with it. */
export class VerifierError extends Error {
  constructor(
    readonly status: number,
    /** For the metrics: why the request was refused. */
    readonly reason: string,
    message: string,
    readonly errors: readonly string[],
    readonly details: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'VerifierError';
  }

  get body() {
    return failure(this.status, this.message, this.errors, this.details);
  }
}

/** Writes an answer with the headers every answer of ours carries (no body for a HEAD). */
export function sendText(
  res: ServerResponse,
  status: number,
  type: string,
  text: string,
  head = false,
  headers: Readonly<Record<string, string>> = {},
): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(head ? undefined : text);
}

/** Writes a JSON answer with the headers every answer of ours carries. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
  head = false,
): void {
  sendText(res, status, JSON_TYPE, JSON.stringify(body), head, headers);
}

const JSON_TYPE = 'application/json; charset=utf-8';
