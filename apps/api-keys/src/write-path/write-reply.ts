import { Reply, success } from '../http/envelope';
import { etagOf } from '../http/etags';
import { WriteResult } from './command-flow';

/**
 * `X-State-Position: <partition>:<offset>`: where on the state topic this write's state record is
 * (or a later position), for a verifier's `min_position`. Only on a 200/201: a 202's record may not
 * exist yet (see the README's "Revocation receipts"); an idempotent retry repeats its first attempt's.
 */
export function receiptHeader(result: WriteResult): Record<string, string> {
  return result.kind === 'done' && result.receipt ? { 'X-State-Position': result.receipt } : {};
}

/**
 * The answer to a write on an existing key: 200 with the key as the log left it (and its ETag);
 * 202 naming the event when not yet visible; for a dry run, 200 with the key it would leave and
 * the event it would append.
 */
export function writeReply(result: WriteResult, done: string, accepted: string) {
  switch (result.kind) {
    case 'done':
      return new Reply(success(200, done, result.key), { ETag: etagOf(result.version), ...receiptHeader(result) });
    case 'accepted':
      return new Reply(
        success(202, `${accepted}; it is recorded and not yet visible in reads`, {
          id: result.keyId,
          event_id: result.eventId,
        }),
      );
    case 'dry_run':
      return new Reply(
        success(200, 'Dry run: nothing was recorded; this is what the request would do', {
          key: result.key,
          event: result.event,
        }),
        { ETag: etagOf(result.version) },
      );
  }
}
