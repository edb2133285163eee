'use strict';
// ============================================================================================
// STACK BRING-UP AND BUILD: the one place where the bench uses the project's own tooling
// (scripts/stack/lifecycle.js behind `npm run stack`, scripts/lib/prepare.js behind `npm start`).
// Same rules as npm start: KAFKA_BROKERS / MONGODB_URI in the environment name servers to use
// as they are; whatever is not named is brought up locally, and only that is stopped at the end.
// ============================================================================================
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const REPO_ROOT = path.resolve(__dirname, '..', '..');

function tooling() {
  try {
    return {
      lifecycle: require('../../scripts/stack/lifecycle'),
      settings: require('../../scripts/stack/settings'),
      stackLog: require('../../scripts/lib/run'),
      prepare: require('../../scripts/lib/prepare'),
    };
  } catch (error) {
    throw new Error(`the project's stack tooling (scripts/stack, scripts/lib) could not be loaded: ${error.message}`, {
      cause: error,
    });
  }
}

/**
 * Brings up what the environment does not point at.
 * @returns {Promise<{ brokers: string, mongoBase: string, started: string[], stop: () => Promise<void> }>}
 */
async function bringUpStack(env, { signal }) {
  const { lifecycle, settings: settingsModule, stackLog, prepare } = tooling();
  const settings = settingsModule.readStackSettings(env, { repoRoot: REPO_ROOT, homeDir: os.homedir() });
  const log = stackLog.createLogger('bench:stack');
  const services = prepare.serversToStart(env);
  let started = [];
  if (services.length > 0) {
    ({ started } = await lifecycle.up(settings, { services, log, signal }));
  }
  const { KAFKA_BROKERS, MONGODB_URI } = prepare.connectionEnv(env, settings);
  const base = new URL(MONGODB_URI);
  base.pathname = '/';
  return {
    brokers: KAFKA_BROKERS,
    mongoBase: base.toString(),
    started,
    stop: async () => {
      if (started.length > 0) await lifecycle.down(settings, { services: started, log });
    },
  };
}

/** npm ci when node_modules is missing or stale (like npm start). */
async function ensureDependencies({ signal }) {
  const { prepare, stackLog } = tooling();
  await prepare.ensureDependencies({ log: stackLog.createLogger('bench:deps'), signal });
}

/**
 * The service's own build (nest build api-keys, skipped when fresh), or with `noBuild` the dist/
 * that is there; returns the entry files.
 */
async function buildService({ signal, noBuild }) {
  let main = path.join(REPO_ROOT, 'dist', 'apps', 'api-keys', 'src', 'main.js');
  if (!noBuild) {
    const { prepare, stackLog } = tooling();
    main = await prepare.ensureBuild({ entry: 'main', log: stackLog.createLogger('bench:build'), signal });
  } else if (!fs.existsSync(main)) {
    throw new Error(`--no-build: there is no ${path.relative(REPO_ROOT, main)}; run npm run build first`);
  }
  // The same build holds the CLI; asking ensureBuild again could rebuild if a source changed meanwhile.
  const cli = path.join(path.dirname(main), 'cli.js');
  if (!fs.existsSync(cli)) throw new Error(`the build did not produce ${path.relative(REPO_ROOT, cli)}`);
  return { main, cli };
}

module.exports = { REPO_ROOT, bringUpStack, ensureDependencies, buildService };
