'use strict';
// The two servers under test, child processes of the bench: the event-sourced service exactly as
// npm start runs it, and the CRUD baseline on the same database. Started and stopped like the
// stack's servers (scripts/stack/proc.js), watched for an early death, sampled for memory.
const fs = require('node:fs');
const path = require('node:path');
const { REPO_ROOT, StackError, formatDuration, waitUntil } = require('../../scripts/lib/run');
const { freePort, spawnDetached, stopProcessGroup, tailFile } = require('../../scripts/stack/proc');

/** @type {Set<Server>} */
const running = new Set();

class Server {
  /**
   * A detached process group (a Ctrl-C in the terminal reaches only the bench, which stops it in order).
   * @param {string} name @param {string[]} args node's arguments @param {NodeJS.ProcessEnv} env @param {string} logFile
   * @param {boolean} ipc a channel for the profiler preload (--cpu-prof)
   */
  constructor(name, args, env, logFile, ipc) {
    this.name = name;
    this.logFile = logFile;
    this.process = spawnDetached({ command: process.execPath, args, cwd: REPO_ROOT, env, logFile, ipc });
    this.pid = this.process.pid;
    running.add(this);
    this.peakRssKb = 0;
    this.sampler = setInterval(() => this.sampleRss(), 250).unref();
  }

  /** Why it is gone, once it is. */
  get exited() {
    const { exited, spawnError, exitSignal, exitCode } = this.process;
    return exited && (spawnError?.message || (exitSignal ? `signal ${exitSignal}` : `code ${exitCode}`));
  }

  /** The end of this run's log. */
  logTail() {
    return tailFile(this.logFile, this.process.logOffset, 30);
  }

  /** Fails with the end of the server's log if it died while we still need it. */
  assertAlive() {
    if (this.exited) throw new StackError(`${this.name} exited unexpectedly (${this.exited}); log:\n${this.logTail()}`);
  }

  /** Peak resident set size so far, in kB: the kernel's high-water mark (VmHWM) where /proc has it. */
  sampleRss() {
    if (this.exited) return this.peakRssKb;
    try {
      const status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
      for (const [, kb] of status.matchAll(/^(?:VmHWM|VmRSS):\s+(\d+) kB/gm))
        this.peakRssKb = Math.max(this.peakRssKb, +kb);
    } catch {
      // gone, or no /proc here
    }
    return this.peakRssKb;
  }

  /** Resident set size right now, in MB (0 when gone or unknown). */
  currentRssMb() {
    try {
      const status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
      return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
    } catch {
      return 0;
    }
  }

  /** Sends a message to the profiler preload and waits for its answer. @param {object} message @param {string} replyType */
  request(message, replyType, timeoutMs = 30_000) {
    const { child } = this.process;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done({ error: `no ${replyType} within ${timeoutMs} ms` }), timeoutMs);
      /** @param {any} reply */
      const done = (reply) => {
        if (reply?.type !== replyType && !reply?.error) return;
        clearTimeout(timer);
        child.off('message', done);
        if (reply.error) reject(new Error(`${this.name}: ${reply.error}`));
        else resolve(reply);
      };
      child.on('message', done);
      child.send?.(message);
    });
  }

  /** SIGTERM (graceful: the service leaves its consumer group), SIGKILL after a grace period. */
  async stop() {
    clearInterval(this.sampler);
    if (this.pid !== undefined) await stopProcessGroup(this.pid, 15_000);
    running.delete(this);
  }
}

/** Last resort on exit: nothing the bench started may outlive it. */
function killAllNow() {
  for (const { pid } of running) {
    try {
      process.kill(-Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

const KINDS = {
  es: { name: 'event-sourced service', log: 'service.log', readyPath: '/health', readyStatus: 200, timeoutMs: 90_000 },
  // Any answer in the envelope means it is up (no health route: it has no dependencies to report).
  crud: { name: 'CRUD baseline', log: 'crud.log', readyPath: '/api/v1/ready', readyStatus: 404, timeoutMs: 60_000 },
  // Ready once it has loaded the state topic up to the ends it found at start; polled often, since
  // the time to ready is a figure of the verify benchmark.
  verifier: { name: 'verifier', log: 'verifier.log', readyPath: '/health/ready', readyStatus: 200, timeoutMs: 120_000 },
  bare: { name: 'bare http server', log: 'bare.log', readyPath: '/', readyStatus: 200, timeoutMs: 30_000 },
};
const POLL_MS = { es: 250, crud: 250, verifier: 20, bare: 20 };

/**
 * Starts one server under test on a free port and waits until it answers; the caller's cleanups stop it.
 * `as` names another instance of the kind (its own log file, environment changes). readyMs: from
 * the spawn to the first ready answer.
 * @param {'es' | 'crud' | 'verifier' | 'bare'} kind @param {import('./prepare').Run} run @param {{ cpuProf: boolean }} options
 * @param {import('./prepare').Context} ctx
 * @param {{ name: string, log: string, env: Record<string, string> }} [as]
 */
async function startServer(kind, run, { cpuProf }, { log, signal, cleanups }, as) {
  const { readyPath, readyStatus, timeoutMs } = KINDS[kind];
  const name = as?.name ?? KINDS[kind].name;
  const port = await freePort();
  const preload = cpuProf ? ['-r', path.join(__dirname, 'profiler-preload.js')] : [];
  const entry = {
    es: run.entries.main,
    crud: run.entries.crud,
    verifier: run.entries.verifier,
    bare: run.entries.bare,
  }[kind];
  const env = { ...run.env, ...as?.env, PORT: String(port), VERIFIER_PORT: String(port) };
  const logFile = path.join(run.runDir, as?.log ?? KINDS[kind].log);
  const began = performance.now();
  const server = new Server(name, [...preload, entry], env, logFile, cpuProf);
  cleanups.push([`stopping the ${name}`, () => server.stop()]);
  const url = `http://127.0.0.1:${port}`;
  const ready = async () => (await fetch(`${url}${readyPath}`)).status === readyStatus;
  const waiting = { what: `the ${name} to answer`, timeoutMs, intervalMs: POLL_MS[kind], signal };
  await waitUntil(ready, { ...waiting, giveUp: () => server.exited }).catch((error) => {
    throw new StackError(`${error.message}; last log lines of the ${name}:\n${server.logTail()}`);
  });
  const readyMs = performance.now() - began;
  log.info(`${name} pid ${server.pid} answering on ${url} in ${formatDuration(readyMs)}`);
  return { server, url, readyMs };
}

module.exports = { Server, startServer, killAllNow };
