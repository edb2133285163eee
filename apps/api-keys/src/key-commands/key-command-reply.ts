import { success } from '../http/envelope';
import { KeyCommandResult } from './key-command-flow';

/** 200 with the key as the log left it, or 202 naming the recorded event when not yet visible. */
export const keyCommandReply = (result: KeyCommandResult, done: string, accepted: string) =>
  result.visible
    ? success(200, done, result.key)
    : success(202, `${accepted}; it is recorded and not yet visible in reads`, {
        id: result.keyId,
        event_id: result.eventId,
      });
