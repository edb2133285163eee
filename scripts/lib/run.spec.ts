import { StackError, createLogger, exitCodeOf, formatDuration, waitUntil } from './run';

describe('exit codes', () => {
  it('passes a normal exit code through and maps death by signal N to 128 + N, like a shell', () => {
    expect(exitCodeOf({ code: 3, signal: null })).toBe(3);
    expect(exitCodeOf({ code: null, signal: 'SIGINT' })).toBe(130);
    expect(exitCodeOf({ code: null, signal: 'SIGTERM' })).toBe(143);
  });
});

describe('progress output', () => {
  it.each([
    [250, '250 ms'],
    [1234, '1.2 s'],
    [67_000, '1 min 7 s'],
  ])('prints %i ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('prefixes lines with their name, and holds them back until flushed', () => {
    const out: string[] = [];
    const log = createLogger('stack', (text) => out.push(text));
    log.hold();
    log.info('one');
    expect(out).toEqual([]);

    log.flush();
    log.info('two');
    expect(out).toEqual(['[stack] one\n', '[stack] two\n']);
  });
});

describe('waiting for a condition', () => {
  const options = { what: 'the thing', timeoutMs: 200, intervalMs: 10 };

  it('resolves with the first truthy answer, counting thrown errors as "not yet"', async () => {
    let calls = 0;
    const check = () => {
      calls += 1;
      if (calls < 3) throw new Error('not up');
      return 'up';
    };
    await expect(waitUntil(check, options)).resolves.toBe('up');
  });

  it('gives up at the deadline, naming what it waited for and the last error', async () => {
    const check = () => Promise.reject(new Error('connection refused'));
    await expect(waitUntil(check, options)).rejects.toThrow(
      /timed out after 200 ms waiting for the thing \(last error: connection refused\)/,
    );
  });

  it('stops at once on a StackError, when giveUp names a reason, or when aborted', async () => {
    const expected = () => Promise.reject(new StackError('kafkajs is not installed'));
    await expect(waitUntil(expected, options)).rejects.toThrow('kafkajs is not installed');
    await expect(waitUntil(() => false, { ...options, giveUp: () => 'exited early' })).rejects.toThrow('exited early');
    await expect(waitUntil(() => false, { ...options, signal: AbortSignal.abort() })).rejects.toThrow('interrupted');
  });
});
