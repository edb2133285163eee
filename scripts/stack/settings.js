'use strict';
// Everything the local stack needs to know, read once from the environment.
// Pure: takes the env object and the repo root, never touches process.env itself.
const path = require('node:path');
const { StackError } = require('./errors');

const DEFAULTS = Object.freeze({
  STACK_DIR: '.stack/dev',
  KAFKA_PORT: 9092,
  KAFKA_CONTROLLER_PORT: 9093,
  MONGO_PORT: 27017,
  STACK_START_TIMEOUT_MS: 90_000,
});

const CACHE_SUBDIR = 'api-keys-service';
const HOST = '127.0.0.1';

function readInteger(env, name, fallback, { min, max }) {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) {
    throw new StackError(`${name} must be a whole number, got "${raw}"`);
  }
  const value = Number(raw.trim());
  if (value < min || value > max) {
    throw new StackError(`${name} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function readString(env, name, fallback) {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? fallback : raw.trim();
}

// XDG says a relative XDG_CACHE_HOME is invalid and must be ignored.
function cacheRoot(env, homeDir) {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(homeDir, '.cache');
  return path.join(base, CACHE_SUBDIR);
}

function stackPaths(stackDir) {
  return {
    stackDir,
    lockDir: path.join(stackDir, '.lock'),
    logDir: path.join(stackDir, 'logs'),
    kafka: {
      dir: path.join(stackDir, 'kafka'),
      dataDir: path.join(stackDir, 'kafka', 'data'),
      serverProperties: path.join(stackDir, 'kafka', 'server.properties'),
      log4jProperties: path.join(stackDir, 'kafka', 'log4j2.properties'),
      clusterIdFile: path.join(stackDir, 'kafka', 'cluster-id'),
      pidFile: path.join(stackDir, 'kafka.pid'),
      logFile: path.join(stackDir, 'logs', 'kafka.log'),
    },
    mongo: {
      dir: path.join(stackDir, 'ferretdb'),
      dataDir: path.join(stackDir, 'ferretdb', 'data'),
      stateDir: path.join(stackDir, 'ferretdb', 'state'),
      pidFile: path.join(stackDir, 'ferretdb.pid'),
      logFile: path.join(stackDir, 'logs', 'ferretdb.log'),
    },
  };
}

/**
 * @param {Record<string, string | undefined>} env
 * @param {{ repoRoot: string, homeDir: string }} where
 */
function readStackSettings(env, { repoRoot, homeDir }) {
  const port = { min: 1, max: 65535 };
  const kafkaPort = readInteger(env, 'KAFKA_PORT', DEFAULTS.KAFKA_PORT, port);
  const kafkaControllerPort = readInteger(env, 'KAFKA_CONTROLLER_PORT', DEFAULTS.KAFKA_CONTROLLER_PORT, port);
  const mongoPort = readInteger(env, 'MONGO_PORT', DEFAULTS.MONGO_PORT, port);

  const named = [
    ['KAFKA_PORT', kafkaPort],
    ['KAFKA_CONTROLLER_PORT', kafkaControllerPort],
    ['MONGO_PORT', mongoPort],
  ];
  for (let i = 0; i < named.length; i += 1) {
    for (let j = i + 1; j < named.length; j += 1) {
      if (named[i][1] === named[j][1]) {
        throw new StackError(
          `${named[i][0]} and ${named[j][0]} are both ${named[i][1]}; each server needs its own port`,
        );
      }
    }
  }

  const stackDir = path.resolve(repoRoot, readString(env, 'STACK_DIR', DEFAULTS.STACK_DIR));

  return Object.freeze({
    repoRoot,
    host: HOST,
    kafkaPort,
    kafkaControllerPort,
    mongoPort,
    startTimeoutMs: readInteger(env, 'STACK_START_TIMEOUT_MS', DEFAULTS.STACK_START_TIMEOUT_MS, {
      min: 1000,
      max: 3_600_000,
    }),
    cacheDir: cacheRoot(env, homeDir),
    kafkaBrokers: `${HOST}:${kafkaPort}`,
    mongoUrl: `mongodb://${HOST}:${mongoPort}/`,
    paths: stackPaths(stackDir),
  });
}

module.exports = { DEFAULTS, readStackSettings, cacheRoot, stackPaths };
