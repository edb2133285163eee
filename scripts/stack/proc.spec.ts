import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { isAlive, parsePidRecord, readPidFile, tailFile, writePidFile } from './proc';

describe('pid files', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-proc-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('round-trips a pid record', () => {
    const file = path.join(dir, 'kafka.pid');
    writePidFile(file, { pid: 4242, marker: 'kafka.Kafka', port: 9092 });

    expect(readPidFile(file)).toEqual({ pid: 4242, marker: 'kafka.Kafka', port: 9092 });
  });

  it('reads a missing pid file as nothing started', () => {
    expect(readPidFile(path.join(dir, 'none.pid'))).toBeNull();
  });

  it('accepts a bare pid and ignores garbage', () => {
    expect(parsePidRecord('123')).toEqual({ pid: 123 });
    expect(parsePidRecord('{"pid":-4}')).toBeNull();
    expect(parsePidRecord('not a pid')).toBeNull();
  });
});

describe('process liveness', () => {
  it('sees this process as alive and an exited one as gone', () => {
    const exited = spawnSync(process.execPath, ['-e', '0']).pid;

    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(exited)).toBe(false);
  });
});

describe('log tail', () => {
  it('returns the last non-empty lines written since the given offset', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-tail-'));
    const file = path.join(dir, 'server.log');
    fs.writeFileSync(file, 'old run\n');
    const offset = fs.statSync(file).size;
    fs.appendFileSync(file, 'one\n\ntwo\nthree\n');

    expect(tailFile(file, offset, 2)).toBe('two\nthree');
    expect(tailFile(file, offset, 10)).toBe('one\ntwo\nthree');
    expect(tailFile(path.join(dir, 'missing.log'))).toBe('');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
