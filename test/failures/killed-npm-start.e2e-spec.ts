import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isolation, stackEnv, waitUntil } from '../support/service';
import { freePort } from '../support/spawned-service';

const REPO_ROOT = join(__dirname, '..', '..');

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * npm start (node scripts/start.js) with Kafka given (the test broker) and FerretDB its own, in a
 * STACK_DIR of the test's. When npm start is SIGKILLed its cleanup never runs: the service and
 * FerretDB keep running. The next npm start must find both: stop the service, reclaim FerretDB.
 */
describe('npm start after an npm start that was killed', () => {
  const iso = isolation('killed-start');
  const stackDir = mkdtempSync(join(tmpdir(), 'killed-start-'));
  const runs: ChildProcess[] = [];
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    env = {
      ...process.env,
      STACK_DIR: stackDir,
      MONGO_PORT: String(await freePort()),
      PORT: String(await freePort()),
      VERIFIER_PORT: String(await freePort()),
      KAFKA_BROKERS: stackEnv().brokers,
      MONGODB_URI: '',
      KAFKA_EVENTS_TOPIC: iso.topic,
      KAFKA_CONSUMER_GROUP: iso.group,
      LOG_LEVEL: 'warn',
    };
  });
  afterAll(async () => {
    const running = runs.filter((run) => run.exitCode === null && run.signalCode === null);
    for (const run of running) run.kill('SIGTERM');
    await Promise.all(running.map((run) => once(run, 'exit')));
    // Whatever a failed assertion left behind: this STACK_DIR's servers and service.
    const down = spawn(process.execPath, ['scripts/stack.js', 'down'], { cwd: REPO_ROOT, env, stdio: 'ignore' });
    await once(down, 'exit');
    rmSync(stackDir, { recursive: true, force: true });
  });

  const npmStart = () => {
    const run = spawn(process.execPath, ['scripts/start.js'], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    runs.push(run);
    let stderr = '';
    run.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return { run, stderr: () => stderr };
  };
  const healthy = async () => (await fetch(`http://127.0.0.1:${env.PORT}/health`)).status === 200;
  const pidIn = (file: string) => (JSON.parse(readFileSync(join(stackDir, file), 'utf8')) as { pid: number }).pid;

  /** npm start's verifier answers with the token it keeps in the STACK_DIR, and the key the API just made. */
  const verifierAnswers = async () => {
    const token = readFileSync(join(stackDir, 'verifier-token'), 'utf8').trim();
    const reply = await fetch(`http://127.0.0.1:${env.VERIFIER_PORT}/v1/keys/verify`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ key: 'vk_priv_unknown' }),
    });
    return reply.status === 200 && ((await reply.json()) as { data: { code: string } }).data.code === 'NOT_FOUND';
  };

  it('stops the service and verifier the killed run left, reclaims its FerretDB, and stops all when it ends', async () => {
    const first = npmStart();
    await waitUntil(healthy, 180_000, 'the first npm start to serve');
    await waitUntil(verifierAnswers, 30_000, 'the first npm start’s verifier to answer');
    const orphanVerifier = pidIn('verifier.pid');
    const orphanService = pidIn('service.pid');
    const orphanFerret = pidIn('ferretdb.pid');

    first.run.kill('SIGKILL');
    await once(first.run, 'exit');
    expect(alive(orphanService)).toBe(true);
    expect(alive(orphanFerret)).toBe(true);

    const second = npmStart();
    await waitUntil(
      async () => pidIn('service.pid') !== orphanService && (await healthy()),
      120_000,
      'the second npm start to serve',
    );
    expect(second.stderr()).toMatch(
      new RegExp(
        `the service \\(pid ${orphanService}, port ${env.PORT}\\) was left running by npm start \\(pid ${first.run.pid}\\), which was killed: stopping it`,
      ),
    );
    expect(second.stderr()).toMatch(
      new RegExp(`FerretDB .*\\(pid ${orphanFerret}\\) was left running by npm start .*reclaimed`),
    );
    await waitUntil(async () => !alive(orphanService), 10_000, 'the orphaned service to be gone');
    expect(second.stderr()).toMatch(
      new RegExp(`the verifier \\(pid ${orphanVerifier}, port ${env.VERIFIER_PORT}\\) was left running by npm start`),
    );
    expect(alive(orphanVerifier)).toBe(false);
    await waitUntil(verifierAnswers, 30_000, 'the second npm start’s verifier to answer');
    const secondVerifier = pidIn('verifier.pid');

    second.run.kill('SIGTERM');
    const [code] = (await once(second.run, 'exit')) as [number];
    expect(code).toBe(143); // the service's own: it died of the SIGTERM after a clean shutdown
    expect(second.stderr()).toMatch(new RegExp(`stopped FerretDB .*\\(pid ${orphanFerret}`));
    await waitUntil(async () => !alive(orphanFerret), 10_000, 'the reclaimed FerretDB to be gone');
    expect(alive(secondVerifier)).toBe(false);
  }, 300_000);
});
