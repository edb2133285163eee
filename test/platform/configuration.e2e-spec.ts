import { spawnSync } from 'node:child_process';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '../..');

/** Runs a command of ours with the given environment on top of this one. */
const run = (args: string[], env: Record<string, string>) =>
  spawnSync(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 300000,
  });

describe('configuration read once at start-up', () => {
  beforeAll(() => {
    // scripts/cli.js builds dist/ when it is stale; a bad config then stops the built command.
    const warm = run(['scripts/cli.js'], {});
    expect(warm.status).toBe(64); // usage error: proves the build exists and the command runs
  });

  it('stops the service with exit code 78 and a message naming every bad variable', () => {
    const result = run(['dist/apps/api-keys/src/main.js'], {
      PORT: 'eighty',
      KAFKA_BROKERS: 'not a broker list',
      LOG_LEVEL: 'loud',
    });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('PORT must be an integer');
    expect(result.stderr).toContain('KAFKA_BROKERS must be a comma-separated list of host:port');
    expect(result.stderr).toContain('LOG_LEVEL');
    expect(result.stdout).toBe('');
  });

  it('stops the bootstrap command the same way, before touching any server', () => {
    const result = run(['scripts/cli.js', 'bootstrap', '--email', 'ops@example.com'], { MONGODB_URI: 'http://nope' });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('MONGODB_URI must be a mongodb:// or mongodb+srv:// URI');
    expect(result.stdout).toBe('');
  });
});
