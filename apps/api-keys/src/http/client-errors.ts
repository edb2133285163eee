import { IncomingMessage, STATUS_CODES, Server, ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';
import { failure } from './envelope';

/** The headers every answer of the service carries: JSON about secrets, never sniffed, never cached. */
export const SAFE_ANSWER_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

const STATUS_BY_ERROR: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

const DETAILS: Readonly<Record<number, string>> = {
  400: 'The request is not valid HTTP/1.1.',
  408: 'The request was not received in time.',
  431: 'The request headers are too large.',
};

/** The whole raw answer to an error the HTTP parser met, in the API's error envelope. */
export function clientErrorResponse(code: string | undefined): string {
  const status = (code && STATUS_BY_ERROR[code]) || 400;
  const reason = STATUS_CODES[status] ?? 'Bad Request';
  const body = JSON.stringify(failure(status, reason, [DETAILS[status]], 'The connection is closed.'));
  const headers = {
    'Content-Type': 'application/json; charset=utf-8',
    ...SAFE_ANSWER_HEADERS,
    Connection: 'close',
    'Content-Length': String(Buffer.byteLength(body)),
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return `HTTP/1.1 ${status} ${reason}\r\n${lines.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * Answers the errors Node's HTTP parser meets (a bad request line, headers too large, a request
 * too slow) ourselves: Node's own answer is a bare status line without our headers or envelope.
 * A request already being answered on the connection keeps its answer: the error concerns bytes
 * after it, so its answer goes first and the error's after it. Bytes pipelined after a
 * `Connection: close` request get no answer at all (RFC 9112 9.6: the server closes after
 * answering that request); Node's default answered them with a 400 at once and destroyed the
 * socket, so the first request's answer was lost.
 */
export function answerClientErrors(server: Server): void {
  // The latest request of each connection still being answered (answers leave in request order).
  const answering = new WeakMap<Duplex, { req: IncomingMessage; res: ServerResponse }>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const exchange = { req, res };
    answering.set(req.socket, exchange);
    res.once('close', () => {
      if (answering.get(req.socket) === exchange) answering.delete(req.socket);
    });
  });

  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const answer = () => {
      // Ended: an answer with `Connection: close` is being flushed, and Node closes after it.
      if (socket.writableEnded) return;
      if (!socket.writable) return socket.destroy();
      socket.end(clientErrorResponse(error.code), () => socket.destroy());
    };
    if (error.code === 'ECONNRESET') return socket.destroy();
    const current = answering.get(socket);
    if (!current) return answer();
    if (current.req.complete) {
      // The answer in progress closes the connection itself once it is sent.
      if (error.code === 'HPE_CLOSED_CONNECTION') return;
      current.res.once('close', answer);
      return;
    }
    // The request in progress is itself cut short (e.g. its body was too slow): it will not be
    // answered, so the error is its answer, unless that answer has already begun.
    if (current.res.headersSent) return socket.destroy();
    answer();
  });
}
