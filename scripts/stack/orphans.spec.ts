import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { isAlive, ownerAlive, readOwner, startTimeOf, thisProcessAsOwner, writeOwner } from './proc';
import { forgetService, recordService, stopOrphanService } from './lifecycle';
import { readStackSettings } from './settings';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-orphans-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const exitedPid = () => spawnSync(process.execPath, ['-e', '0']).pid;
const quiet = { info: jest.fn(), hold: () => undefined, flush: () => undefined };

describe('owners of servers and of the service', () => {
  it('round-trips an owner record and sees this process as its live owner', () => {
    const file = path.join(dir, 'kafka.owner');
    writeOwner(file, thisProcessAsOwner('npm test'));
    const owner = readOwner(file);

    expect(owner).toEqual({ pid: process.pid, startTime: startTimeOf(process.pid), command: 'npm test' });
    expect(ownerAlive(owner!)).toBe(true);
    expect(readOwner(path.join(dir, 'none.owner'))).toBeNull();
  });

  it('sees an owner as gone when its process exited, or when its pid now belongs to another process', () => {
    expect(ownerAlive({ pid: exitedPid(), startTime: null, command: 'npm start' })).toBe(false);
    if (startTimeOf(process.pid) !== null) {
      // This pid, but not this process's start: a killed owner whose pid was given to someone else.
      expect(ownerAlive({ pid: process.pid, startTime: '1', command: 'npm start' })).toBe(false);
    }
  });
});

describe('a service left running by a killed npm start', () => {
  const settings = () => readStackSettings({ STACK_DIR: dir });
  /** A stand-in whose command line reads like the service's. */
  const fakeService = () => {
    const child = spawn(
      process.execPath,
      ['-e', 'setInterval(() => {}, 1000)', path.join('dist', 'apps', 'api-keys', 'src', 'main.js')],
      { detached: true, stdio: 'ignore' },
    );
    return child;
  };

  it('is stopped, and its record removed', async () => {
    const child = fakeService();
    recordService(settings(), { pid: child.pid!, port: 3000, shutdownTimeoutMs: 1000, command: 'npm start' });
    // Its owner: a process that is gone.
    const record = JSON.parse(fs.readFileSync(settings().paths.servicePidFile, 'utf8'));
    record.owner = { pid: exitedPid(), startTime: null, command: 'npm start' };
    fs.writeFileSync(settings().paths.servicePidFile, JSON.stringify(record));

    await stopOrphanService(settings(), quiet);

    expect(isAlive(child.pid!)).toBe(false);
    expect(fs.existsSync(settings().paths.servicePidFile)).toBe(false);
    expect(quiet.info).toHaveBeenCalledWith(expect.stringMatching(/left running by npm start .*which was killed/));
  });

  it('is left alone while the npm start that runs it is alive', async () => {
    const child = fakeService();
    try {
      recordService(settings(), { pid: child.pid!, port: 3000, shutdownTimeoutMs: 1000, command: 'npm start' });
      await stopOrphanService(settings(), quiet);
      expect(isAlive(child.pid!)).toBe(true);
      expect(fs.existsSync(settings().paths.servicePidFile)).toBe(true);
    } finally {
      child.kill('SIGKILL');
      forgetService(settings());
    }
  });

  it('is forgotten, and nothing signalled, when its pid is gone or now runs something else', async () => {
    recordService(settings(), { pid: exitedPid(), port: 3000, shutdownTimeoutMs: 1000, command: 'npm start' });
    await stopOrphanService(settings(), quiet);
    expect(fs.existsSync(settings().paths.servicePidFile)).toBe(false);

    // A live pid that is not the service (this test process): never signalled.
    recordService(settings(), { pid: process.pid, port: 3000, shutdownTimeoutMs: 1000, command: 'npm start' });
    const record = JSON.parse(fs.readFileSync(settings().paths.servicePidFile, 'utf8'));
    record.owner.pid = exitedPid();
    fs.writeFileSync(settings().paths.servicePidFile, JSON.stringify(record));
    await stopOrphanService(settings(), quiet);
    expect(fs.existsSync(settings().paths.servicePidFile)).toBe(false);
  });
});

describe('a verifier left running by a killed npm start', () => {
  const settings = () => readStackSettings({ STACK_DIR: dir });

  it('is stopped too, and its record removed', async () => {
    const child = spawn(
      process.execPath,
      ['-e', 'setInterval(() => {}, 1000)', path.join('dist', 'apps', 'verifier', 'src', 'main.js')],
      { detached: true, stdio: 'ignore' },
    );
    const app = 'verifier';
    recordService(settings(), { pid: child.pid!, port: 3100, shutdownTimeoutMs: 1000, command: 'npm start', app });
    const record = JSON.parse(fs.readFileSync(settings().paths.verifierPidFile, 'utf8'));
    record.owner = { pid: exitedPid(), startTime: null, command: 'npm start' };
    fs.writeFileSync(settings().paths.verifierPidFile, JSON.stringify(record));

    try {
      await stopOrphanService(settings(), quiet);
      expect(isAlive(child.pid!)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
    expect(fs.existsSync(settings().paths.verifierPidFile)).toBe(false);
    expect(quiet.info).toHaveBeenCalledWith(
      expect.stringMatching(/^the verifier \(pid \d+, port 3100\) was left running by npm start .*which was killed/),
    );
  });
});
