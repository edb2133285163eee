import { Reply, success } from '../http/envelope';
import { etagOf } from '../http/etags';
import { KeyCommandResult } from './key-command-flow';

/** 200 with the key as the log left it (and its ETag), or 202 naming the event when not yet visible. */
export const keyCommandReply = (result: KeyCommandResult, done: string, accepted: string) =>
  result.visible
    ? new Reply(success(200, done, result.key), { ETag: etagOf(result.version) })
    : new Reply(
        success(202, `${accepted}; it is recorded and not yet visible in reads`, {
          id: result.keyId,
          event_id: result.eventId,
        }),
      );
