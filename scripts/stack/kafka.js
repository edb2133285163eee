'use strict';
// The local Kafka: one combined broker+controller (KRaft) on loopback, its jars fetched with
// Maven into the per-user cache once per version (a new version gets a new cache directory).
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { StackError, formatDuration, waitUntil, withTimeout } = require('../lib/run');
const { requireTool, runCaptured, installOnce, loadDependency } = require('./install');
const { canListen } = require('./proc');

const KAFKA_VERSION = '4.4.0';
const SCALA_VERSION = '2.13';
const LOG4J_VERSION = '2.25.3';
// The version Maven 3.8's default bindings resolve; pinned so a newer Maven fetches nothing new.
const DEPENDENCY_PLUGIN_VERSION = '2.8';

/** @typedef {import('./settings').StackSettings} StackSettings @typedef {import('../lib/run').Log} Log */

// The shortest consumer session timeout the broker accepts (Kafka's default is 6000 ms). The
// service asks for 2000 ms (SESSION_TIMEOUT_MS in libs/kafka/src/partition-consumer.ts) so that a
// dead instance's partitions move within seconds; docker-compose.yml sets the same minimum.
const GROUP_MIN_SESSION_TIMEOUT_MS = 1000;

/**
 * Combined broker+controller on loopback, tuned for fast tests (no rebalance delay, one offsets
 * partition), fast failover (short consumer sessions allowed) and strict topic handling (the service creates its topics explicitly).
 * @param {{ host: string, kafkaPort: number, controllerPort: number, dataDir: string }} options */
function renderServerProperties({ host, kafkaPort, controllerPort, dataDir }) {
  const entries = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${host}:${controllerPort}`,
    listeners: `PLAINTEXT://${host}:${kafkaPort},CONTROLLER://${host}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${host}:${kafkaPort}`,
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': dataDir,
    'num.partitions': 1,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    'group.min.session.timeout.ms': GROUP_MIN_SESSION_TIMEOUT_MS,
    'auto.create.topics.enable': false,
  };
  // Java .properties treats backslash as an escape character.
  const body = Object.entries(entries).map(([key, value]) => `${key}=${String(value).replace(/\\/g, '\\\\')}`);
  return `# Written by scripts/stack.js; regenerated on every start.\n${body.join('\n')}\n`;
}

// WARN and above to stdout, which the stack redirects into its log file.
const LOG4J2_PROPERTIES = `rootLogger.level=WARN
rootLogger.appenderRef.stdout.ref=STDOUT
appender.stdout.type=Console
appender.stdout.name=STDOUT
appender.stdout.layout.type=PatternLayout
appender.stdout.layout.pattern=[%d] %p %m (%c)%n
`;

/** A dependency-only pom: Maven resolves the broker and a log4j2 binding into a flat lib dir. */
function renderPom() {
  /** @param {string} group @param {string} artifact @param {string} version */
  const dep = (group, artifact, version) =>
    `<dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${version}</version></dependency>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by scripts/stack.js: only used to fetch the Kafka broker's jars. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.api-keys-service</groupId><artifactId>kafka-broker-${KAFKA_VERSION}</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    ${dep('org.apache.kafka', `kafka_${SCALA_VERSION}`, KAFKA_VERSION)}
    ${dep('org.apache.logging.log4j', 'log4j-slf4j-impl', LOG4J_VERSION)}
    ${dep('org.apache.logging.log4j', 'log4j-core', LOG4J_VERSION)}
  </dependencies>
  <build><pluginManagement><plugins><plugin>
    <groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId>
    <version>${DEPENDENCY_PLUGIN_VERSION}</version>
  </plugin></plugins></pluginManagement></build>
</project>
`;
}

/**
 * A cluster id: 16 random bytes in unpadded URL-safe base64. Never one starting with '-', which
 * the format tool would read as a flag (Kafka's own generator avoids them too).
 * @param {(size: number) => Uint8Array} [randomBytes] */
function newClusterId(randomBytes = crypto.randomBytes) {
  for (;;) {
    const id = Buffer.from(randomBytes(16)).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** java's arguments: a small heap, our log4j2 config, the jars, then the main class and its arguments. @param {string} libDir @param {string} log4jProperties @param {string[]} main */
function javaArgs(libDir, log4jProperties, ...main) {
  const log4j = `-Dlog4j2.configurationFile=${log4jProperties}`;
  return ['-Xmx512m', '-Djava.awt.headless=true', '-XX:+ExitOnOutOfMemoryError', log4j, '-cp', `${libDir}/*`, ...main];
}

/** @param {string} cacheDir */
const libDirOf = (cacheDir) => path.join(cacheDir, `kafka-${KAFKA_VERSION}`, 'lib');
const JAR = `kafka_${SCALA_VERSION}-${KAFKA_VERSION}.jar`;
/** @param {string} cacheDir */
const isInstalled = (cacheDir) => fs.existsSync(path.join(libDirOf(cacheDir), JAR));

/** @param {string} cacheDir @param {Log} log @returns {Promise<string>} the lib directory for the classpath */
async function ensureInstalled(cacheDir, log) {
  const libDir = libDirOf(cacheDir);
  if (isInstalled(cacheDir)) return libDir;
  requireTool('mvn');
  const began = Date.now();
  log.info(`downloading Kafka ${KAFKA_VERSION} broker jars with Maven into ${libDir} (first run only)...`);
  await installOnce(libDir, async (tmp) => {
    const pom = `${tmp}.pom.xml`;
    fs.writeFileSync(pom, renderPom());
    const copy = ['dependency:copy-dependencies', `-DoutputDirectory=${tmp}`, '-DincludeScope=runtime'];
    const done = () => fs.rmSync(pom, { force: true });
    await runCaptured('mvn', ['-q', '-B', '-f', pom, ...copy], { cwd: path.dirname(libDir) }).finally(done);
  });
  if (!isInstalled(cacheDir)) throw new StackError(`Maven finished but ${libDir} has no Kafka broker jar`);
  log.info(`downloaded ${fs.readdirSync(libDir).length} jars in ${formatDuration(Date.now() - began)}`);
  return libDir;
}

/** @param {string} brokers @param {number} timeoutMs @param {object} [retry] */
function client(brokers, timeoutMs, retry = { retries: 0 }) {
  const { Kafka, logLevel } = loadDependency('kafkajs');
  const timeouts = { connectionTimeout: Math.min(1000, timeoutMs), requestTimeout: timeoutMs };
  return new Kafka({ clientId: 'api-keys-stack', brokers: [brokers], logLevel: logLevel.NOTHING, ...timeouts, retry });
}

/** Healthy when an admin client can describe the cluster; throws otherwise. @param {string} brokers @param {number} timeoutMs */
async function probeKafka(brokers, timeoutMs) {
  const admin = client(brokers, timeoutMs).admin();
  try {
    await withTimeout(admin.connect(), timeoutMs, 'Kafka connect');
    await withTimeout(admin.describeCluster(), timeoutMs, 'Kafka describeCluster');
    return true;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * A fresh broker answers describeCluster before its group coordinator (__consumer_offsets) and its
 * producer-id machinery have loaded, and "coordinator is loading" until then: the service's first
 * consumer join would crash and restart, its first idempotent producer would wait. Using both once
 * here makes "ready" mean ready for the service too. Loading can take seconds on a busy machine,
 * so each step is retried under our own deadline, not kafkajs's.
 * @param {StackSettings} settings @param {{ log: Log, signal?: AbortSignal }} options
 */
async function warmUp(settings, { log, signal }) {
  const began = Date.now();
  const kafka = client(settings.kafkaBrokers, 5000, { retries: 2, initialRetryTime: 100, maxRetryTime: 500 });
  const admin = kafka.admin();
  const steps = {
    'group coordinator': async () => {
      await admin.connect();
      return admin.fetchOffsets({ groupId: 'api-keys-stack-warm-up', topics: [] });
    },
    'producer ids': async () => {
      const producer = kafka.producer({ idempotent: true });
      return producer.connect().finally(() => producer.disconnect().catch(() => {}));
    },
  };
  try {
    for (const [what, step] of Object.entries(steps)) {
      const check = () => step().then(() => true);
      await waitUntil(check, { what: `its ${what}`, timeoutMs: settings.startTimeoutMs, signal }).catch((error) => {
        throw new StackError(`Kafka on ${settings.kafkaBrokers} answers, but ${error.message}`);
      });
    }
  } finally {
    await admin.disconnect().catch(() => {});
  }
  const ms = Date.now() - began;
  if (ms > 500) log.info(`Kafka group coordinator and producer ids ready in ${formatDuration(ms)}`);
}

/** @param {StackSettings} settings */
function kafkaServer(settings) {
  const files = settings.paths.kafka;
  const serverProperties = path.join(files.dir, 'server.properties');
  const log4jProperties = path.join(files.dir, 'log4j2.properties');
  const clusterIdFile = path.join(files.dir, 'cluster-id');
  return {
    id: 'kafka',
    label: `Kafka ${KAFKA_VERSION}`,
    kind: 'Kafka broker',
    port: settings.kafkaPort,
    portVariable: 'KAFKA_PORT',
    address: settings.kafkaBrokers,
    files,
    marker: 'kafka.Kafka',
    // Controlled shutdown of a single combined node takes a few seconds.
    graceMs: 30_000,
    probe: (/** @type {number} */ timeoutMs) => probeKafka(settings.kafkaBrokers, timeoutMs),

    // Everything that can fail before anything is started, so a doomed `up` starts nothing.
    async preflight() {
      requireTool('java');
      if (!isInstalled(settings.cacheDir)) requireTool('mvn');
      if (!(await canListen(settings.kafkaControllerPort, settings.host))) {
        throw new StackError(
          `KAFKA_CONTROLLER_PORT ${settings.kafkaControllerPort} is already in use; Kafka's controller listener needs it (set KAFKA_CONTROLLER_PORT to a free port)`,
        );
      }
    },

    /** @param {Log} log */
    async prepare(log) {
      const libDir = await ensureInstalled(settings.cacheDir, log);
      const java = (/** @type {string[]} */ ...main) => javaArgs(libDir, log4jProperties, ...main);
      fs.mkdirSync(files.dataDir, { recursive: true });
      const { host, kafkaPort, kafkaControllerPort: controllerPort } = settings;
      const properties = renderServerProperties({ host, kafkaPort, controllerPort, dataDir: files.dataDir });
      fs.writeFileSync(serverProperties, properties);
      fs.writeFileSync(log4jProperties, LOG4J2_PROPERTIES);
      if (!fs.existsSync(path.join(files.dataDir, 'meta.properties'))) {
        // The cluster id outlives wiped data, so a STACK_DIR keeps its cluster.
        let clusterId = fs.existsSync(clusterIdFile) ? fs.readFileSync(clusterIdFile, 'utf8').trim() : '';
        if (!clusterId) fs.writeFileSync(clusterIdFile, `${(clusterId = newClusterId())}\n`);
        const began = Date.now();
        const format = ['format', '-t', clusterId, '-c', serverProperties, '--ignore-formatted'];
        await runCaptured('java', java('kafka.tools.StorageTool', ...format), { cwd: files.dir });
        log.info(`formatted Kafka storage (cluster ${clusterId}) in ${formatDuration(Date.now() - began)}`);
      }
      return { command: 'java', args: java('kafka.Kafka', serverProperties), cwd: files.dir };
    },
  };
}

module.exports = {
  GROUP_MIN_SESSION_TIMEOUT_MS,
  renderServerProperties,
  renderPom,
  newClusterId,
  javaArgs,
  kafkaServer,
  warmUp,
};
