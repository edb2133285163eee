import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { waitUntil } from './service';

const REPO_ROOT = join(__dirname, '..', '..');

// The operator CLI run as operators run it: `npm run cli --` is `node scripts/cli.js`, which builds
// dist when stale and forwards Ctrl-C to the command. Without that launcher, the built CLI itself.

const LAUNCHER = join(REPO_ROOT, 'scripts', 'cli.js');
const BUILT_CLI = join(REPO_ROOT, 'dist', 'apps', 'api-keys', 'src', 'cli.js');

/** Builds dist when there is no launcher to do it; call once per suite, before the first run. */
export function ensureCliBuilt(): void {
  if (existsSync(LAUNCHER)) return;
  const build = spawnSync('npx', ['nest', 'build', 'api-keys'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`nest build failed: ${build.stderr}${build.stdout}`);
}

export interface CliExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running CLI command, its output as it comes. */
export class CliProcess {
  stdout = '';
  stderr = '';
  exit: CliExit | null = null;
  private readonly child: ChildProcess;
  private readonly exited: Promise<CliExit>;

  constructor(args: readonly string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [existsSync(LAUNCHER) ? LAUNCHER : BUILT_CLI, ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('close', (code, signal) => resolve((this.exit = { code, signal })));
      // A command the launcher started but could not stop (after a SIGKILL of the launcher) would
      // hold the pipes open, and 'close' would never come: stop listening shortly after the exit.
      this.child.on('exit', () => {
        setTimeout(() => [this.child.stdout, this.child.stderr].forEach((pipe) => pipe?.destroy()), 2000).unref();
      });
    });
  }

  /** The complete lines printed on stdout so far. */
  get lines(): string[] {
    return this.stdout.split('\n').slice(0, -1);
  }

  /** The JSON lines printed on stderr so far, parsed (other lines are left out). */
  get notes(): Record<string, unknown>[] {
    return this.stderr.split('\n').flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  /** Waits until `check` holds, failing early (with the output) if the command ends before. */
  async waitFor(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
    const output = () => `exit ${JSON.stringify(this.exit)}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`;
    try {
      await waitUntil(async () => check() || this.exit !== null, timeoutMs, what);
    } catch (error) {
      throw new Error(`${(error as Error).message}; ${output()}`, { cause: error });
    }
    if (!check()) throw new Error(`the command ended before ${what}; ${output()}`);
  }

  /** Waits until it has said `msg` on stderr. */
  waitForNote(msg: string): Promise<void> {
    return this.waitFor(`"${msg}" on stderr`, () => this.notes.some((note) => note.msg === msg));
  }

  /** Sends `signal` (Ctrl-C by default) and resolves with how it ended, or fails if it does not within the bound. */
  async interrupt(signal: NodeJS.Signals = 'SIGINT', boundMs = 15_000): Promise<CliExit> {
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`still running ${boundMs} ms after ${signal}\nstderr:\n${this.stderr}`));
      }, boundMs);
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves when it has ended by itself. */
  ended(): Promise<CliExit> {
    return this.exited;
  }
}

/** How a finished CLI command ended, with everything it printed. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a CLI command to its end. */
export async function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  const command = new CliProcess(args, env);
  const { code } = await command.ended();
  return { code, stdout: command.stdout, stderr: command.stderr };
}
