import { Injectable } from '@nestjs/common';

/**
 * Runs the commands of one key one after another within this process. A command checks the
 * key's state, appends its event and waits for the projection; without this, two commands racing
 * on one key would both pass the check, and the loser (a second DELETE, a PUT behind a DELETE)
 * would answer 404 yet leave an event in the log. Commands on different keys never wait on
 * each other. Across instances the log order still decides, deterministically.
 */
@Injectable()
export class KeyLock {
  private readonly tails = new Map<number, Promise<unknown>>();

  run<T>(keyId: number, command: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(keyId) ?? Promise.resolve();
    const result = previous.then(command);
    const tail = result.catch(() => undefined);
    this.tails.set(keyId, tail);
    void tail.then(() => {
      if (this.tails.get(keyId) === tail) this.tails.delete(keyId);
    });
    return result;
  }
}
