import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { runCli } from './cli-process';
import { Isolation, isolatedEnv, waitUntil } from './service';

const REPO_ROOT = join(__dirname, '..', '..');
const BUILT = join(REPO_ROOT, 'dist', 'apps', 'api-keys', 'src');

/**
 * Builds dist/ when the sources changed, as npm start does (scripts/lib/prepare.js, under its
 * lock, so suites and a running npm start never build over each other).
 */
export function ensureBuilt(): void {
  const script = `require('./scripts/lib/prepare').ensureBuild({ entry: 'main', log: { info() {} } })
    .then(() => require('./scripts/lib/prepare').ensureBuild({ entry: 'cli', log: { info() {} } }))
    .catch((e) => { process.stderr.write(String(e.stack || e)); process.exit(1); })`;
  const build = spawnSync(process.execPath, ['-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`building the service failed: ${build.stderr}${build.stdout}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().unref().on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The environment a deployment would give the service, pointed at this suite's topic, group and database. */
export function serviceEnv(iso: Isolation, overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...isolatedEnv(iso),
    KAFKA_CLIENT_ID: 'e2e-spawned',
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'info',
    ...overrides,
  };
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** When the process was gone (Date.now()). */
  readonly at: number;
}

/** The built service (node dist/apps/api-keys/src/main.js) as its own process, as npm start runs it. */
export class SpawnedService {
  readonly exited: Promise<Exit>;
  private output = '';

  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
  ) {
    const collect = (chunk: Buffer) => (this.output += chunk.toString());
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = once(child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
      at: Date.now(),
    }));
  }

  /** Starts it on a free port and waits until `GET /health` says 200. */
  static async start(env: NodeJS.ProcessEnv): Promise<SpawnedService> {
    const port = await freePort();
    const child = spawn(process.execPath, [join(BUILT, 'main.js')], {
      cwd: REPO_ROOT,
      env: { ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new SpawnedService(`http://127.0.0.1:${port}`, child);
    let gone = false;
    void service.exited.then(() => (gone = true));
    await waitUntil(
      async () => {
        if (gone) throw new Error('exited');
        return (await fetch(`${service.url}/health`)).status === 200;
      },
      60_000,
      'the spawned service healthy',
    ).catch((error: Error) => {
      child.kill('SIGKILL');
      throw new Error(`${error.message}; its output:\n${service.logs.slice(-3000)}`);
    });
    return service;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Everything it wrote to stdout and stderr so far (JSON log lines). */
  get logs(): string {
    return this.output;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** SIGKILL unless already gone; resolves once it is. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/**
 * A user and their private key, made with the bootstrap command as operators run it (npm run cli).
 * Asynchronous: the command may talk to servers through a relay living in this process.
 */
export async function bootstrapUser(env: NodeJS.ProcessEnv, email: string): Promise<{ key: string; keyId: number }> {
  const { code, stdout, stderr } = await runCli(['bootstrap', '--email', email], env);
  if (code !== 0) throw new Error(`bootstrap failed (${code}): ${stderr}`);
  const body = JSON.parse(stdout) as { data: { id: number; key_value: string } };
  return { key: body.data.key_value, keyId: body.data.id };
}
