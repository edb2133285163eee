import { clientErrorResponse } from './client-errors';

/** Splits a raw HTTP/1.1 response into its status, headers (lower-cased names) and body. */
function parse(raw: string) {
  const [head, body] = raw.split('\r\n\r\n');
  const [statusLine, ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  return { statusLine, headers, body };
}

describe('clientErrorResponse', () => {
  it.each([
    ['HPE_HEADER_OVERFLOW', 'HTTP/1.1 431 Request Header Fields Too Large', 431],
    ['ERR_HTTP_REQUEST_TIMEOUT', 'HTTP/1.1 408 Request Timeout', 408],
    ['HPE_INVALID_METHOD', 'HTTP/1.1 400 Bad Request', 400],
    [undefined, 'HTTP/1.1 400 Bad Request', 400],
  ])('answers %s with a complete %s in the error envelope, never sniffed or cached', (code, statusLine, status) => {
    const reply = parse(clientErrorResponse(code));
    expect(reply.statusLine).toBe(statusLine);
    expect(reply.headers).toEqual({
      'content-type': 'application/json; charset=utf-8',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
      connection: 'close',
      'content-length': String(Buffer.byteLength(reply.body)),
    });
    const body = JSON.parse(reply.body) as { status: { code: number }; error: string; errors: string[] };
    expect(body.status.code).toBe(status);
    expect(body.errors).toHaveLength(1);
    expect(Object.keys(body).sort()).toEqual(['details', 'error', 'errors', 'status']);
  });
});
