'use strict';
// The two servers under test, child processes of the bench: the event-sourced service exactly as
// npm start runs it, and the CRUD baseline on the same database. Watched for an early death,
// sampled for memory, and always stopped again.
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { REPO_ROOT, StackError, formatDuration, waitUntil } = require('../../scripts/lib/run');

/** @type {Set<Server>} */
const running = new Set();

class Server {
  /**
   * @param {string} name @param {string[]} args node's arguments @param {NodeJS.ProcessEnv} env @param {string} logFile
   * @param {boolean} ipc a channel for the profiler preload (--cpu-prof)
   */
  constructor(name, args, env, logFile, ipc) {
    this.name = name;
    this.logFile = logFile;
    const fd = fs.openSync(logFile, 'a');
    this.child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env,
      stdio: /** @type {import('node:child_process').StdioOptions} */ (['ignore', fd, fd, ...(ipc ? ['ipc'] : [])]),
    });
    fs.closeSync(fd);
    this.pid = this.child.pid;
    /** @type {string | null} why it is gone, once it is */
    this.exited = null;
    this.exit = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => resolve((this.exited = signal ? `signal ${signal}` : `code ${code}`)));
      this.child.on('error', (error) => resolve((this.exited = error.message)));
    }).finally(() => running.delete(this));
    running.add(this);
    this.peakRssKb = 0;
    this.sampler = setInterval(() => this.sampleRss(), 250).unref();
  }

  /** Fails with the end of the server's log if it died while we still need it. */
  assertAlive() {
    if (this.exited)
      throw new StackError(`${this.name} exited unexpectedly (${this.exited}); last log lines:\n${this.logTail()}`);
  }

  logTail(lines = 30) {
    return fs.readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Peak resident set size so far, in kB: the kernel's high-water mark (VmHWM) where /proc has it. */
  sampleRss() {
    if (this.exited) return this.peakRssKb;
    try {
      const status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
      for (const [, kb] of status.matchAll(/^(?:VmHWM|VmRSS):\s+(\d+) kB/gm))
        this.peakRssKb = Math.max(this.peakRssKb, Number(kb));
    } catch {
      // gone, or no /proc here
    }
    return this.peakRssKb;
  }

  /** Sends a message to the profiler preload and waits for its answer. @param {object} message @param {string} replyType */
  request(message, replyType, timeoutMs = 30_000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done({ error: `no ${replyType} within ${timeoutMs} ms` }), timeoutMs);
      /** @param {any} reply */
      const done = (reply) => {
        if (reply?.type !== replyType && !reply?.error) return;
        clearTimeout(timer);
        this.child.off('message', done);
        if (reply.error) reject(new Error(`${this.name}: ${reply.error}`));
        else resolve(reply);
      };
      this.child.on('message', done);
      this.child.send(message);
    });
  }

  /** SIGTERM (graceful: the service leaves its consumer group), SIGKILL after a grace period. */
  async stop(graceMs = 15_000) {
    clearInterval(this.sampler);
    if (this.exited) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exit;
    clearTimeout(timer);
  }
}

/** Last resort on exit: nothing the bench started may outlive it. */
function killAllNow() {
  for (const server of running) server.child.kill('SIGKILL');
}

/** A port that is free right now (the servers need a number up front: PORT=0 is not reported). @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().unref().on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

const KINDS = {
  es: { name: 'event-sourced service', log: 'service.log', readyPath: '/health', readyStatus: 200, timeoutMs: 90_000 },
  // Any answer in the envelope means it is up (no health route: it has no dependencies to report).
  crud: { name: 'CRUD baseline', log: 'crud.log', readyPath: '/api/v1/ready', readyStatus: 404, timeoutMs: 60_000 },
};

/**
 * Starts one server under test on a free port and waits until it answers; the caller's cleanups stop it.
 * @param {'es' | 'crud'} kind @param {import('./prepare').Run} run @param {{ cpuProf: boolean }} options
 * @param {import('./prepare').Context} ctx
 */
async function startServer(kind, run, { cpuProf }, { log, signal, cleanups }) {
  const { name, readyPath, readyStatus, timeoutMs } = KINDS[kind];
  const port = await freePort();
  const preload = cpuProf ? ['-r', path.join(__dirname, 'profiler-preload.js')] : [];
  const entry = kind === 'es' ? run.entries.main : run.entries.crud;
  const env = { ...run.env, PORT: String(port) };
  const server = new Server(name, [...preload, entry], env, path.join(run.runDir, KINDS[kind].log), cpuProf);
  cleanups.push([`stopping the ${name}`, () => server.stop()]);
  const url = `http://127.0.0.1:${port}`;
  const began = Date.now();
  const ready = async () => (await fetch(`${url}${readyPath}`)).status === readyStatus;
  await waitUntil(ready, { what: `the ${name} to answer`, timeoutMs, signal, giveUp: () => server.exited }).catch(
    (error) => {
      throw new StackError(`${error.message}; last log lines of the ${name}:\n${server.logTail()}`);
    },
  );
  log.info(`${name} pid ${server.pid} answering on ${url} in ${formatDuration(Date.now() - began)}`);
  return { server, url };
}

module.exports = { Server, startServer, killAllNow };
