'use strict';
// Everything the local stack needs to know, read once from the given environment.
const os = require('node:os');
const path = require('node:path');
const { REPO_ROOT, StackError } = require('../lib/run');

const HOST = '127.0.0.1';

/** @param {Record<string, string | undefined>} env @param {string} name @param {number} fallback */
function readInteger(env, name, fallback, min = 1, max = 65535) {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw)) throw new StackError(`${name} must be a whole number, got "${env[name]}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new StackError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

/**
 * @param {Record<string, string | undefined>} env
 * @param {{ repoRoot?: string, homeDir?: string }} [where] relative STACK_DIRs resolve against repoRoot
 */
function readStackSettings(env, { repoRoot = REPO_ROOT, homeDir = os.homedir() } = {}) {
  const ports = { KAFKA_PORT: 9092, KAFKA_CONTROLLER_PORT: 9093, MONGO_PORT: 27017 };
  const [kafkaPort, kafkaControllerPort, mongoPort] = Object.entries(ports).map(([name, fallback]) => {
    const port = readInteger(env, name, fallback);
    const clash = Object.keys(ports).find((other) => other !== name && readInteger(env, other, ports[other]) === port);
    if (clash) throw new StackError(`${name} and ${clash} are both ${port}; each server needs its own port`);
    return port;
  });
  const stackDir = path.resolve(repoRoot, env.STACK_DIR?.trim() || '.stack/dev');
  // XDG says a relative XDG_CACHE_HOME is invalid and must be ignored.
  const xdg = env.XDG_CACHE_HOME;
  const at = (/** @type {string[]} */ ...parts) => path.join(stackDir, ...parts);
  /** @param {string} name the server's directory, pid file and log */
  const server = (name) => ({
    dir: at(name),
    dataDir: at(name, 'data'),
    pidFile: at(`${name}.pid`),
    // Which run started it and will stop it (absent: started to stay, by `stack.js up`).
    ownerFile: at(`${name}.owner`),
    logFile: at('logs', `${name}.log`),
  });
  return {
    host: HOST,
    kafkaPort,
    kafkaControllerPort,
    mongoPort,
    kafkaBrokers: `${HOST}:${kafkaPort}`,
    mongoUrl: `mongodb://${HOST}:${mongoPort}/`,
    startTimeoutMs: readInteger(env, 'STACK_START_TIMEOUT_MS', 90_000, 1000, 3_600_000),
    cacheDir: path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(homeDir, '.cache'), 'api-keys-service'),
    paths: {
      stackDir,
      lockDir: at('.lock'),
      logDir: at('logs'),
      kafka: server('kafka'),
      mongo: server('ferretdb'),
      // The service npm start runs in the foreground, with the npm start that runs it.
      servicePidFile: at('service.pid'),
      // The verifier npm start runs beside it, and the bearer token its callers send.
      verifierPidFile: at('verifier.pid'),
      verifierTokenFile: at('verifier-token'),
    },
  };
}

/** @typedef {ReturnType<typeof readStackSettings>} StackSettings */

module.exports = { readStackSettings };
