'use strict';
// Running child programs in the foreground: exit codes and signal forwarding.
const os = require('node:os');
const { spawn } = require('node:child_process');

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** The shell's convention: a child killed by signal N "exits" with 128 + N. */
function exitCodeOf({ code, signal }) {
  if (typeof code === 'number') return code;
  if (signal && os.constants.signals[signal]) return 128 + os.constants.signals[signal];
  return 1;
}

/** Resolves with { code, signal } when the child ends; a spawn failure counts as exit 127. */
function waitForChild(child) {
  return new Promise((resolve) => {
    let spawnError = null;
    child.once('error', (error) => {
      spawnError = error;
      // 'close' may never come for a child that did not spawn.
      if (child.pid === undefined) resolve({ code: 127, signal: null, error });
    });
    child.once('close', (code, signal) =>
      resolve({ code: spawnError && code === null ? 127 : code, signal, error: spawnError }),
    );
  });
}

/**
 * Runs a program with inherited stdio until it exits, handing it every SIGINT/SIGTERM/SIGHUP
 * we get: the first one as is, any later one as SIGKILL.
 *
 * detached: the child gets its own session, so a Ctrl-C in the terminal reaches only us and
 * the child sees exactly one signal (a server's shutdown hook would treat a second as "die now").
 */
async function runForwardingSignals(command, args, { cwd, env, detached = false, onSignal } = {}) {
  const child = spawn(command, args, { cwd, env, stdio: 'inherit', detached });
  let received = 0;
  const forward = (signal) => {
    received += 1;
    if (onSignal) onSignal(signal, received);
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      child.kill(received === 1 ? signal : 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  try {
    return await waitForChild(child);
  } finally {
    for (const signal of FORWARDED_SIGNALS) process.removeListener(signal, forward);
  }
}

module.exports = { FORWARDED_SIGNALS, exitCodeOf, waitForChild, runForwardingSignals };
