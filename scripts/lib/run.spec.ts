import { exitCodeOf } from './run';

describe('exit codes', () => {
  it('passes a normal exit code through', () => {
    expect(exitCodeOf({ code: 0, signal: null })).toBe(0);
    expect(exitCodeOf({ code: 3, signal: null })).toBe(3);
  });

  it('maps death by signal to 128 + the signal number, like a shell', () => {
    expect(exitCodeOf({ code: null, signal: 'SIGINT' })).toBe(130);
    expect(exitCodeOf({ code: null, signal: 'SIGTERM' })).toBe(143);
  });
});
