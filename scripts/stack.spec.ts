import { formatStatus, parseArgs } from './stack';

describe('stack.js arguments', () => {
  it.each(['up', 'down', 'status', 'stop-kafka', 'start-kafka'])('accepts the %s command', (command) => {
    expect(parseArgs([command])).toEqual({ command, fresh: false });
  });

  it('accepts --fresh for up only', () => {
    expect(parseArgs(['up', '--fresh'])).toEqual({ command: 'up', fresh: true });
    expect(parseArgs(['down', '--fresh'])).toEqual({ error: expect.stringContaining('--fresh') });
  });

  it('rejects an unknown command and shows help when asked', () => {
    expect(parseArgs(['restart'])).toEqual({ error: 'unknown command "restart"' });
    expect(parseArgs([])).toEqual({ help: true });
    expect(parseArgs(['--help'])).toEqual({ help: true });
  });
});

describe('stack.js status output', () => {
  const kafka = { label: 'Kafka 4.4.0', address: '127.0.0.1:9092', pid: null as number | null, detail: '' };
  const row = { ...kafka, staleRecord: false, listening: true, healthy: true as boolean | null };

  it('tells a server this stack started from one it merely found', () => {
    const text = formatStatus([
      { ...row, pid: 12 },
      { ...row, label: 'FerretDB', address: 'mongodb://127.0.0.1:27017/' },
    ]);

    expect(text).toMatch(/Kafka 4\.4\.0 .* healthy .*started by this stack \(pid 12\)/);
    expect(text).toMatch(/FerretDB .* healthy .*not started by this stack/);
  });

  it('shows a server that answers wrongly as unhealthy, with the reason', () => {
    expect(formatStatus([{ ...row, healthy: false, detail: 'timed out' }])).toMatch(/UNHEALTHY .* - timed out$/);
  });

  it('shows a stale pid file when the recorded process is gone', () => {
    expect(formatStatus([{ ...row, listening: false, healthy: false, staleRecord: true }])).toMatch(
      /down .*stale pid file/,
    );
  });
});
