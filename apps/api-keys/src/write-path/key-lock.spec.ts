import { KeyBusyError } from '../errors';
import { KeyLock } from './key-lock';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('KeyLock', () => {
  it('runs commands on one key one after another, in arrival order', async () => {
    const lock = new KeyLock();
    const order: string[] = [];
    const gate = deferred();
    const first = lock.run('1', async () => {
      order.push('first starts');
      await gate.promise;
      order.push('first ends');
    });
    const second = lock.run('1', async () => {
      order.push('second runs');
    });
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['first starts']);
    gate.resolve();
    await Promise.all([first, second]);
    expect(order).toEqual(['first starts', 'first ends', 'second runs']);
  });

  it('lets commands on different keys run at the same time', async () => {
    const lock = new KeyLock();
    const gate = deferred();
    const blocked = lock.run('1', () => gate.promise);
    await expect(lock.run('2', async () => 'other key')).resolves.toBe('other key');
    gate.resolve();
    await blocked;
  });

  it('goes on with the next command after one fails, and reports the failure to its caller', async () => {
    const lock = new KeyLock();
    const failing = lock.run('1', async () => {
      throw new Error('boom');
    });
    const next = lock.run('1', async () => 'next');
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('next');
  });

  it('refuses a command beyond the queue limit at once, without running it, and frees places as commands end', async () => {
    const lock = new KeyLock(2);
    const gate = deferred();
    const ran: string[] = [];
    const first = lock.run('1', async () => {
      ran.push('first');
      await gate.promise;
    });
    const second = lock.run('1', async () => void ran.push('second'));
    await expect(lock.run('1', async () => void ran.push('third'))).rejects.toBeInstanceOf(KeyBusyError);
    await expect(lock.run('2', async () => 'another key')).resolves.toBe('another key');
    gate.resolve();
    await Promise.all([first, second]);
    await expect(lock.run('1', async () => 'room again')).resolves.toBe('room again');
    expect(ran).toEqual(['first', 'second']);
  });
});
