import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { acquireLock } from './lock';

describe('stack lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-lock-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lets a second holder in only after the first released', async () => {
    const lockDir = path.join(dir, '.lock');
    const order: string[] = [];
    const releaseFirst = await acquireLock(lockDir);
    const second = acquireLock(lockDir).then((release) => {
      order.push('second acquired');
      release();
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    order.push('first releases');
    releaseFirst();
    await second;

    expect(order).toEqual(['first releases', 'second acquired']);
    expect(fs.existsSync(lockDir)).toBe(false);
  });

  it('takes over a lock whose owner has died', async () => {
    const lockDir = path.join(dir, '.lock');
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
    fs.mkdirSync(lockDir);
    fs.writeFileSync(path.join(lockDir, 'owner'), String(deadPid));

    const release = await acquireLock(lockDir, { timeoutMs: 2000 });

    expect(fs.readFileSync(path.join(lockDir, 'owner'), 'utf8')).toBe(String(process.pid));
    release();
  });

  it('gives up with a clear error when a live owner keeps it', async () => {
    const lockDir = path.join(dir, '.lock');
    const release = await acquireLock(lockDir);
    // Same process, so the owner is alive; a short timeout makes the wait fail.
    await expect(acquireLock(lockDir, { timeoutMs: 300 })).rejects.toThrow(
      `another command (pid ${process.pid}) still holds`,
    );
    release();
  });
});
