import { KeyBusyError } from '../errors';

/**
 * Runs the commands of one key (or one user's creations, each named by the caller) one after
 * another within this process. A command checks the
 * key's state, appends its event and waits for the projection; without this, two commands racing
 * on one key would both pass the check, and the loser (a second DELETE, a PUT behind a DELETE)
 * would answer 404 yet leave an event in the log. Commands on different keys never wait on
 * each other. Across instances the log order still decides, deterministically.
 *
 * Bounded: at most `maxQueued` commands (running or waiting) per key; beyond that a command is
 * refused at once (429), rather than letting latency grow with the queue.
 */
export class KeyLock {
  private readonly queues = new Map<string, { tail: Promise<unknown>; length: number }>();

  constructor(private readonly maxQueued = Number.POSITIVE_INFINITY) {}

  run<T>(name: string, command: () => Promise<T>): Promise<T> {
    const queue = this.queues.get(name) ?? { tail: Promise.resolve(), length: 0 };
    if (queue.length >= this.maxQueued) return Promise.reject(new KeyBusyError());
    queue.length += 1;
    this.queues.set(name, queue);
    const result = queue.tail.then(command);
    queue.tail = result
      .catch(() => undefined)
      .finally(() => {
        queue.length -= 1;
        if (queue.length === 0 && this.queues.get(name) === queue) this.queues.delete(name);
      });
    return result;
  }
}
