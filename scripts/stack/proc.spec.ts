import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { isAlive, readPidFile, tailFile, withLock, writePidFile } from './proc';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-proc-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
const exitedPid = () => spawnSync(process.execPath, ['-e', '0']).pid;

describe('pid files and processes', () => {
  it('round-trips a pid record, reads a bare pid, and reads garbage or no file as nothing started', () => {
    const file = path.join(dir, 'kafka.pid');
    writePidFile(file, { pid: 4242, marker: 'kafka.Kafka', port: 9092 });
    expect(readPidFile(file)).toEqual({ pid: 4242, marker: 'kafka.Kafka', port: 9092 });

    fs.writeFileSync(file, '123\n');
    expect(readPidFile(file)).toEqual({ pid: 123 });
    fs.writeFileSync(file, '{"pid":-4}');
    expect(readPidFile(file)).toBeNull();
    expect(readPidFile(path.join(dir, 'none.pid'))).toBeNull();
  });

  it('sees this process as alive and an exited one as gone', () => {
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(exitedPid())).toBe(false);
  });

  it("tails the last non-empty lines of a log written since this run's offset", () => {
    const file = path.join(dir, 'server.log');
    fs.writeFileSync(file, 'old run\n');
    const offset = fs.statSync(file).size;
    fs.appendFileSync(file, 'one\n\ntwo\nthree\n');

    expect(tailFile(file, offset, 2)).toBe('two\nthree');
    expect(tailFile(file, offset, 10)).toBe('one\ntwo\nthree');
    expect(tailFile(path.join(dir, 'missing.log'))).toBe('');
  });
});

describe('locks', () => {
  it('lets a second holder in only after the first released', async () => {
    const lockDir = path.join(dir, '.lock');
    const order: string[] = [];
    let releaseFirst = () => {};
    const first = withLock(lockDir, undefined, () => new Promise<void>((resolve) => (releaseFirst = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = withLock(lockDir, undefined, async () => void order.push('second'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    order.push('first releases');
    releaseFirst();
    await Promise.all([first, second]);

    expect(order).toEqual(['first releases', 'second']);
    expect(fs.existsSync(lockDir)).toBe(false);
  });

  it('takes over a lock whose owner has died, and gives up on a live owner', async () => {
    const lockDir = path.join(dir, '.lock');
    fs.mkdirSync(lockDir);
    fs.writeFileSync(path.join(lockDir, 'owner'), String(exitedPid()));
    const owner = await withLock(lockDir, undefined, async () => fs.readFileSync(path.join(lockDir, 'owner'), 'utf8'));
    expect(owner).toBe(String(process.pid));

    await withLock(lockDir, undefined, () =>
      expect(withLock(lockDir, undefined, async () => {}, 300)).rejects.toThrow(
        `another command (pid ${process.pid}) still holds`,
      ),
    );
  });
});
