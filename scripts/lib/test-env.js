'use strict';
// Where npm test's own stack lives, and what the e2e suites are told about it.

// Fixed so the test stack never collides with a running `npm start` (9092/9093/27017).
// TEST_-prefixed variables move it, e.g. for a second clone testing at the same time: two runs
// sharing one test stack would stop it under each other's feet.
const TEST_STACK_DEFAULTS = Object.freeze({
  STACK_DIR: '.stack/test',
  KAFKA_PORT: '39092',
  KAFKA_CONTROLLER_PORT: '39093',
  MONGO_PORT: '37017',
});

/** The stack variables for the test stack, to lay over the caller's environment. */
function testStackEnv(env) {
  const chosen = {};
  for (const [name, fallback] of Object.entries(TEST_STACK_DEFAULTS)) {
    const override = env[`TEST_${name}`];
    chosen[name] = override !== undefined && override.trim() !== '' ? override.trim() : fallback;
  }
  return chosen;
}

/** What the e2e suites get: where the servers are, and enough to run `scripts/stack.js stop-kafka|start-kafka`. */
function e2eEnv(env, settings) {
  return {
    ...env,
    KAFKA_BROKERS: settings.kafkaBrokers,
    MONGODB_URI: settings.mongoUrl,
    STACK_DIR: settings.paths.stackDir,
    KAFKA_PORT: String(settings.kafkaPort),
    KAFKA_CONTROLLER_PORT: String(settings.kafkaControllerPort),
    MONGO_PORT: String(settings.mongoPort),
  };
}

module.exports = { TEST_STACK_DEFAULTS, testStackEnv, e2eEnv };
