import { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApiKeyView, hashSecret, secretShape, toView } from '@app/access';
import { Verification, verifySecret } from '@app/domain';
import { VERIFIER_CONFIG, VerifierConfig } from '../config/config';
import { VerifierError, failure, sendJson, success } from '../http/envelope';
import { KeyIndex } from '../key-index/key-index';
import { PositionWaiters } from '../key-index/position-waiters';
import { IdleCollector } from '../memory/idle-collector';
import { Metrics } from '../metrics/metrics';
import { StateReader } from '../state-reader/state-reader';
import { TokenGate } from '../token/token-gate';
import { UsageReporter } from '../usage/usage-reporter';
import { VerifyRequest, readVerifyRequest } from './verify-request';

export const VERIFY_PATH = '/v1/keys/verify';
/** A verify body is a key and three short fields; anything near this is not one. */
const BODY_LIMIT_BYTES = 8 * 1024;

/** What POST /v1/keys/verify answers (200) about the presented key. */
export interface VerifyAnswer {
  readonly valid: boolean;
  readonly code: Verification['code'];
  /** The key as the API's GET shows it; null for NOT_FOUND. Never a secret or a hash. */
  readonly key: ApiKeyView | null;
  readonly matched: Verification['matched'];
}

const notReady = (problems: readonly string[]) =>
  new VerifierError(503, 'not_ready', 'Service not ready', problems, 'Retry shortly, or ask another verifier.', {
    'Retry-After': '1',
  });

const badRequest = (reason: string, status: number, message: string, problem: string, details: string) =>
  new VerifierError(status, reason, message, [problem], details);

/** Reads the body up to `limit` bytes; a longer one is a 413 (and the connection closes). */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const tooLarge = () =>
    new VerifierError(
      413,
      'body',
      'Request body too large',
      [`the request body exceeds ${limit} bytes`],
      `Bodies are limited to ${limit} bytes.`,
      { Connection: 'close' },
    );
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.removeAllListeners('data');
      req.resume();
      reject(tooLarge());
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * POST /v1/keys/verify, served by a bare Node handler, as every route of the verifier (http-server.ts
 * says why): the token, then the body, then the judgement from memory (KeyIndex, the domain's
 * verifySecret); never a database or a broker on the way. A well-formed request from a caller
 * with the token answers 200 whatever the key: the verdict is in `data`.
 */
@Injectable()
export class VerifyKeyRoute {
  private readonly logger = new Logger('verify');

  constructor(
    @Inject(VERIFIER_CONFIG) private readonly config: VerifierConfig,
    private readonly index: KeyIndex,
    private readonly reader: StateReader,
    private readonly waiters: PositionWaiters,
    private readonly gate: TokenGate,
    private readonly metrics: Metrics,
    private readonly usage: UsageReporter,
    private readonly idle: IdleCollector,
  ) {}

  static matches(url: string | undefined): boolean {
    return url === VERIFY_PATH || (url !== undefined && url.startsWith(`${VERIFY_PATH}?`));
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const began = performance.now();
    this.idle.activity();
    const done = (status: number) => this.metrics.verifyDurationOf(status).observe((performance.now() - began) / 1000);
    this.answer(req).then(
      (data) => {
        this.metrics.verificationsOf(data.code).inc();
        sendJson(res, 200, success(200, 'Key verified', data));
        done(200);
      },
      (error: unknown) => {
        if (error instanceof VerifierError) {
          this.metrics.refused.inc({ reason: error.reason });
          sendJson(res, error.status, error.body, error.headers);
          return done(error.status);
        }
        this.logger.error({ msg: 'verification failed', error: String(error) });
        sendJson(res, 500, failure(500, 'Internal server error', ['an unexpected error occurred'], 'Retry.'));
        done(500);
      },
    );
  }

  private async answer(req: IncomingMessage): Promise<VerifyAnswer> {
    if (req.method !== 'POST')
      throw new VerifierError(
        405,
        'method',
        'Method not allowed',
        [`${req.method} is not allowed on ${VERIFY_PATH}`],
        'Use POST.',
        { Allow: 'POST' },
      );
    this.gate.check(req.headers.authorization, req.socket.remoteAddress ?? 'unknown');
    const request = readVerifyRequest(await this.body(req));
    if (!this.reader.ready) throw notReady(this.reader.problems());
    if (request.minPosition) await this.reach(request.minPosition.partition, request.minPosition.offset);
    return this.judge(request);
  }

  private async body(req: IncomingMessage): Promise<unknown> {
    const type = req.headers['content-type'];
    if (!type || !/^application\/json\s*(;|$)/i.test(type))
      throw badRequest(
        'body',
        415,
        'Unsupported media type: send application/json',
        `Content-Type ${type ? JSON.stringify(type.slice(0, 100)) : '(missing)'} is not application/json`,
        'Request bodies must be JSON (UTF-8) with Content-Type: application/json.',
      );
    const encoding = req.headers['content-encoding'];
    if (encoding && encoding.toLowerCase() !== 'identity')
      throw badRequest(
        'body',
        415,
        'Unsupported media type: send application/json',
        `Content-Encoding ${JSON.stringify(encoding.slice(0, 100))} is not supported here`,
        'Send the body unencoded: it is a few hundred bytes.',
      );
    const text = await readBody(req, BODY_LIMIT_BYTES);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw badRequest(
        'body',
        400,
        'Malformed JSON in request body',
        'the request body is not valid JSON',
        'Send a valid JSON document.',
      );
    }
  }

  /** Waits (bounded, with a bounded number of waiters) until this instance has applied the position. */
  private async reach(partition: number, offset: number): Promise<void> {
    const outcome = await this.waiters.wait(partition, offset, this.config.minPositionWaitMs);
    if (outcome === 'reached') return;
    const problem =
      outcome === 'full'
        ? 'too many requests are waiting for a min_position on this verifier'
        : `this verifier has not applied position ${partition}:${offset} within ${this.config.minPositionWaitMs} ms ` +
          `(applied: ${partition}:${this.index.appliedOffset(partition)})`;
    throw new VerifierError(
      503,
      'min_position',
      'Position not reached',
      [problem],
      'The answer would be older than the position asked for; retry after Retry-After seconds.',
      { 'Retry-After': '1' },
    );
  }

  private judge(request: VerifyRequest): VerifyAnswer {
    // A key of no shape of ours, or with a wrong checksum, is no key: no hash, no lookup.
    const shape = secretShape(request.key);
    if (shape === 'malformed' || shape === 'wrong_checksum')
      return { valid: false, code: 'NOT_FOUND', key: null, matched: null };
    const hash = hashSecret(request.key);
    const state = this.index.findByHash(hash);
    const now = Date.now();
    const verdict = verifySecret(state, hash, now, { origin: request.origin, assistantId: request.assistantId });
    // A use of the key it matched, whatever the code (an in-memory count; published later, in batches).
    if (state && verdict.code !== 'NOT_FOUND') this.usage.count(state.id, verdict.code, verdict.matched, now);
    return {
      valid: verdict.code === 'VALID',
      code: verdict.code,
      key: state && verdict.matched ? toView(state, null, now) : null,
      matched: verdict.matched,
    };
  }
}
