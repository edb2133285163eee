import { RawResponse, exchange, parseResponses } from '../support/raw-http';
import { RunningService, closeAll, isolation, startService, testConfig } from '../support/service';

/** nosniff, no-store and a body in the error envelope with status.code equal to the HTTP status. */
function expectSafeErrorAnswer(response: RawResponse, status: number): void {
  expect(response.status).toBe(status);
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  expect(response.headers['cache-control']).toBe('no-store');
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(JSON.parse(response.body)).toEqual({
    status: { code: status, message: expect.any(String) },
    error: expect.any(String),
    errors: [expect.any(String)],
    details: expect.any(String),
  });
}

const LIVE = 'GET /health/live HTTP/1.1\r\nHost: x\r\n';

describe('every answer, the HTTP parser’s own errors included, is never sniffed or cached', () => {
  const iso = isolation('every-answer');
  let service: RunningService;

  beforeAll(async () => {
    service = await startService(testConfig(iso, { HTTP_HEADERS_TIMEOUT_MS: '1000' }));
  });
  afterAll(() => closeAll([service]));

  it('answers a path no route has with 404, nosniff and no-store', async () => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      const reply = await fetch(`${service.url}/nope`, { method });
      expect(reply.status).toBe(404);
      expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
      expect(reply.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('answers headers larger than Node accepts with 431 in the envelope, then closes', async () => {
    const raw = await exchange(
      service.url,
      `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    const { responses, rest } = parseResponses(raw);
    expect(responses).toHaveLength(1);
    expectSafeErrorAnswer(responses[0], 431);
    expect(responses[0].headers.connection).toBe('close');
    expect(rest).toBe('');
  });

  it.each([
    ['a malformed request line', 'BLAH BLAH\r\n\r\n'],
    ['a request line with a bad version', 'GET /health/live HTTP/1.x\r\nHost: x\r\n\r\n'],
    ['a header line without a colon', `${LIVE}Broken header\r\n\r\n`],
  ])('answers %s with 400 in the envelope, then closes', async (_, bytes) => {
    const { responses, rest } = parseResponses(await exchange(service.url, bytes));
    expect(responses).toHaveLength(1);
    expectSafeErrorAnswer(responses[0], 400);
    expect(rest).toBe('');
  });

  it('answers headers that do not arrive within HTTP_HEADERS_TIMEOUT_MS with 408 in the envelope', async () => {
    const { responses, rest } = parseResponses(await exchange(service.url, `${LIVE}X-Unfinished: a`));
    expect(responses).toHaveLength(1);
    expectSafeErrorAnswer(responses[0], 408);
    expect(rest).toBe('');
  });

  it('answers a request in full when another is pipelined after its Connection: close, and ignores that one', async () => {
    const raw = await exchange(service.url, `${LIVE}Connection: close\r\n\r\n${LIVE}\r\n`);
    const { responses, rest } = parseResponses(raw);
    expect(responses.map((response) => response.status)).toEqual([200]);
    expect(responses[0].headers.connection).toBe('close');
    expect(responses[0].headers['x-content-type-options']).toBe('nosniff');
    expect(JSON.parse(responses[0].body)).toMatchObject({ status: { code: 200 } });
    expect(rest).toBe('');
  });

  it('answers a request in full before the 400 for garbage pipelined after it', async () => {
    const raw = await exchange(service.url, `${LIVE}\r\nBLAH BLAH\r\n\r\n`);
    const { responses, rest } = parseResponses(raw);
    expect(responses.map((response) => response.status)).toEqual([200, 400]);
    expect(JSON.parse(responses[0].body)).toMatchObject({ status: { code: 200 } });
    expectSafeErrorAnswer(responses[1], 400);
    expect(rest).toBe('');
  });
});
