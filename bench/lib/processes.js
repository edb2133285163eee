'use strict';
// The two servers under test run as child processes of the bench: started here, watched for
// an early death, sampled for memory, and always stopped again.
const fs = require('node:fs');
const net = require('node:net');
const { spawn, execFileSync } = require('node:child_process');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port that is free right now (the servers need a number up front: PORT=0 is not reported). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const running = new Set();

class Server {
  /**
   * @param {{ name: string, entry: string, env: Record<string,string>, logFile: string, cwd: string, preload?: string }} spec
   */
  constructor(spec) {
    this.name = spec.name;
    this.logFile = spec.logFile;
    const fd = fs.openSync(spec.logFile, 'a');
    const args = spec.preload ? ['-r', spec.preload, spec.entry] : [spec.entry];
    try {
      this.child = spawn(process.execPath, args, {
        cwd: spec.cwd,
        env: spec.env,
        stdio: ['ignore', fd, fd, ...(spec.preload ? ['ipc'] : [])],
      });
    } finally {
      fs.closeSync(fd);
    }
    this.pid = this.child.pid;
    this.exited = null;
    this.stopping = false;
    this.exitPromise = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exited = { code, signal };
        running.delete(this);
        resolve(this.exited);
      });
      this.child.on('error', (error) => {
        this.exited = { code: null, signal: null, error };
        running.delete(this);
        resolve(this.exited);
      });
    });
    running.add(this);
    this.peakRssKb = 0;
    this.sampler = setInterval(() => this.sampleRss(), 250);
    this.sampler.unref();
  }

  /** Fails with the end of the server's log if it died while we still needed it. */
  assertAlive() {
    if (this.exited)
      throw new Error(`${this.name} exited unexpectedly (${this.describeExit()}); last log lines:\n${this.logTail()}`);
  }

  describeExit() {
    const e = this.exited;
    if (!e) return 'running';
    if (e.error) return e.error.message;
    return e.signal ? `signal ${e.signal}` : `code ${e.code}`;
  }

  logTail(lines = 30) {
    try {
      return fs.readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Peak resident set size so far: the kernel's high-water mark where available, else our samples. */
  sampleRss() {
    if (this.exited) return this.peakRssKb;
    const status = readProcStatus(this.pid);
    if (status) {
      this.peakRssKb = Math.max(this.peakRssKb, status.VmHWM ?? 0, status.VmRSS ?? 0);
    } else {
      try {
        const kb = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(this.pid)], { encoding: 'utf8' }).trim());
        if (Number.isFinite(kb)) this.peakRssKb = Math.max(this.peakRssKb, kb);
      } catch {
        // gone between the check and the sample
      }
    }
    return this.peakRssKb;
  }

  /** Sends a message to the profiler preload and waits for its answer. */
  request(message, replyType, timeoutMs = 30000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.off('message', onMessage);
        reject(new Error(`${this.name}: no ${replyType} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (reply) => {
        if (!reply || reply.type !== replyType) return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        if (reply.error) reject(new Error(`${this.name}: ${reply.error}`));
        else resolve(reply);
      };
      this.child.on('message', onMessage);
      this.child.send(message);
    });
  }

  /** SIGTERM (graceful: the service leaves its consumer group), SIGKILL after a grace period. */
  async stop(graceMs = 15000) {
    this.stopping = true;
    clearInterval(this.sampler);
    if (this.exited) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const result = await this.exitPromise;
    clearTimeout(timer);
    return result;
  }
}

function readProcStatus(pid) {
  let text;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const out = {};
  for (const line of text.split('\n')) {
    const m = /^(VmHWM|VmRSS):\s+(\d+)\s+kB/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/** Last resort on exit: nothing the bench started may outlive it. */
function killAllNow() {
  for (const server of running) {
    try {
      server.child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Polls `check` until it returns true; fails early if `server` dies. */
async function waitUntil(check, { timeoutMs, what, server, intervalMs = 200, signal }) {
  const deadline = Date.now() + timeoutMs;
  let lastError = null;
  for (;;) {
    if (signal && signal.aborted) throw new Error('interrupted');
    if (server) server.assertAlive();
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError.message})` : ''}${server ? `; last log lines of ${server.name}:\n${server.logTail()}` : ''}`,
      );
    }
    await sleep(intervalMs);
  }
}

module.exports = { Server, freePort, killAllNow, waitUntil, sleep };
