'use strict';
// What every entry point (scripts/*.js, bench/run.js) shares: errors meant for the terminal,
// progress lines, deadline polling, programs in the foreground, and runMain (signals, exit codes).
// Node builtins only: this runs before node_modules exists.
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** @type {NodeJS.Signals[]} */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** An expected failure, its message meant for the person at the terminal: printed without a stack. */
class StackError extends Error {}

/** @param {any} error */
const describeError = (error) => (error instanceof StackError ? error.message : error?.stack || String(error));
/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** @param {number} ms */
function formatDuration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/**
 * Progress lines "[prefix] message", on stderr so stdout stays free for machine-readable output.
 * hold() keeps lines back while another program owns the terminal; flush() prints them in order.
 * @typedef {{ info(message: string): void, hold(): void, flush(): void }} Log
 * @param {string} prefix @param {(text: string) => void} [write] @returns {Log}
 */
function createLogger(prefix, write = (text) => process.stderr.write(text)) {
  /** @type {string[] | null} */
  let held = null;
  return {
    info: (message) => (held ? held.push(`[${prefix}] ${message}\n`) : write(`[${prefix}] ${message}\n`)),
    hold: () => void (held = held || []),
    flush: () => {
      const lines = held || [];
      held = null;
      lines.forEach((line) => write(line));
    },
  };
}

/** @template T @param {Promise<T>} promise @param {number} ms @param {string} what @returns {Promise<T>} */
function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Polls `check` until it returns something truthy, and resolves with that. A check that throws
 * counts as "not yet" (its message goes into the timeout error), except a StackError, which ends
 * the wait at once. Rejects with a StackError when `timeoutMs` has passed ("timed out ..."), when
 * `giveUp` names a reason, or ('interrupted') when `signal` aborts.
 * @template T @param {() => Promise<T> | T} check
 * @param {{ what: string, timeoutMs: number, intervalMs?: number, signal?: AbortSignal, giveUp?: () => any }} options
 * @returns {Promise<NonNullable<T>>}
 */
async function waitUntil(check, { what, timeoutMs, intervalMs = 250, signal, giveUp }) {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    if (signal?.aborted) throw new StackError('interrupted');
    const stop = giveUp?.();
    if (stop) throw new StackError(stop);
    try {
      const result = await check();
      if (result) return result;
    } catch (error) {
      if (error instanceof StackError) throw error;
      lastError = ` (last error: ${error.message})`;
    }
    if (Date.now() >= deadline)
      throw new StackError(`timed out after ${formatDuration(timeoutMs)} waiting for ${what}${lastError}`);
    await sleep(intervalMs);
  }
}

/**
 * The shell's convention: a child killed by signal N "exits" with 128 + N.
 * @param {{ code?: number | null, signal?: NodeJS.Signals | null }} result
 */
function exitCodeOf({ code, signal }) {
  if (typeof code === 'number') return code;
  return signal && os.constants.signals[signal] ? 128 + os.constants.signals[signal] : 1;
}

/**
 * The child's exit code once it has ended (127 when it could not be started at all).
 * @param {import('node:child_process').ChildProcess} child @returns {Promise<number>}
 */
function exitOf(child) {
  return new Promise((resolve) => {
    // 'close' may never come for a child that did not spawn.
    child.once('error', () => child.pid === undefined && resolve(127));
    child.once('close', (code, signal) => resolve(exitCodeOf({ code, signal })));
  });
}

/**
 * Runs a program with inherited stdio until it exits, and resolves with its exit code. Every
 * SIGINT/SIGTERM/SIGHUP we get reaches it: the first as is, any later one as SIGKILL.
 * detached: the child gets its own session, so a Ctrl-C in the terminal reaches only us and the
 * child sees exactly one signal (a server's shutdown hook would treat a second one as "die now").
 * @param {string} command @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, detached?: boolean, log?: Log }} [options]
 */
async function runForeground(command, args, { cwd, env, detached = false, log } = {}) {
  const child = spawn(command, args, { cwd, env, stdio: 'inherit', detached });
  let received = 0;
  /** @param {NodeJS.Signals} signal */
  const forward = (signal) => {
    received += 1;
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (received > 1) log?.info(`${signal} again: killing ${path.basename(args[0] || command)}`);
    child.kill(received === 1 ? signal : 'SIGKILL');
  };
  SIGNALS.forEach((signal) => process.on(signal, forward));
  return exitOf(child).finally(() => SIGNALS.forEach((signal) => process.removeListener(signal, forward)));
}

/**
 * Runs an entry point: `main(log, signal)` resolves with the exit code. The first SIGINT, SIGTERM
 * or SIGHUP aborts `signal`, so main unwinds and stops what it started (a child run by
 * runForeground gets the signal too); later ones go to `onRepeat`, or are ignored so that they
 * cannot cut that cleanup short. A failure prints its message (a StackError without the stack)
 * and exits 1; a failure after an interrupt exits 128 + N.
 * @param {string} name @param {(log: Log, signal: AbortSignal) => Promise<number>} main
 * @param {(signal: NodeJS.Signals) => void} [onRepeat]
 */
function runMain(name, main, onRepeat) {
  const log = createLogger(name);
  const controller = new AbortController();
  /** @type {NodeJS.Signals | null} */
  let interruptedBy = null;
  /** @param {NodeJS.Signals} signal */
  const onSignal = (signal) => {
    if (interruptedBy) return onRepeat?.(signal);
    interruptedBy = signal;
    log.info(`${signal}: stopping...`);
    controller.abort();
  };
  SIGNALS.forEach((signal) => process.on(signal, onSignal));
  main(log, controller.signal).then(
    (code) => process.exit(code),
    (error) => {
      if (!interruptedBy) log.info(error instanceof StackError ? `error: ${error.message}` : describeError(error));
      else log.info(`interrupted by ${interruptedBy}; what this run started is stopped`);
      process.exit(interruptedBy ? exitCodeOf({ signal: interruptedBy }) : 1);
    },
  );
}

module.exports = {
  REPO_ROOT,
  StackError,
  describeError,
  sleep,
  formatDuration,
  createLogger,
  withTimeout,
  waitUntil,
  exitCodeOf,
  exitOf,
  runForeground,
  runMain,
};
