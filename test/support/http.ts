/** A small fetch wrapper: JSON in, status + parsed body + headers out. */
export interface Reply {
  readonly status: number;
  readonly body: any;
  readonly text: string;
  readonly headers: Headers;
}

export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { key?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.key !== undefined) headers['X-API-Key'] = options.key;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  return readReply(await fetch(`${baseUrl}${path}`, { method, headers, body }));
}

/** Status, raw text, parsed JSON (null when the body is not JSON) and headers of a response. */
export async function readReply(response: Response): Promise<Reply> {
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  return { status: response.status, body: parsed, text, headers: response.headers };
}

/** The documented error envelope, with `status.code` equal to the HTTP status. */
export function expectErrorEnvelope(reply: Reply, status: number): void {
  expect(reply.status).toBe(status);
  expect(reply.body).toEqual({
    status: { code: status, message: expect.any(String) },
    error: expect.any(String),
    errors: expect.arrayContaining([expect.any(String)]),
    details: expect.any(String),
  });
}
