import { Reply, success } from '../http/envelope';
import { etagOf } from '../http/etags';
import { WriteResult } from './command-flow';

/**
 * The answer to a write on an existing key: 200 with the key as the log left it (and its ETag);
 * 202 naming the event when not yet visible; for a dry run, 200 with the key it would leave and
 * the event it would append.
 */
export function writeReply(result: WriteResult, done: string, accepted: string) {
  switch (result.kind) {
    case 'done':
      return new Reply(success(200, done, result.key), { ETag: etagOf(result.version) });
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
