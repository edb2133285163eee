'use strict';
// Pure renderers for the files a local single-node KRaft broker needs.
const crypto = require('node:crypto');

// Java .properties treats backslash as an escape character.
function propertyValue(value) {
  return String(value).replace(/\\/g, '\\\\');
}

/**
 * Combined broker+controller on loopback, tuned for fast tests (no rebalance delay,
 * one offsets partition) and strict topic handling (topics are created explicitly).
 */
function renderServerProperties({ host, kafkaPort, controllerPort, dataDir }) {
  const entries = [
    ['process.roles', 'broker,controller'],
    ['node.id', 1],
    ['controller.quorum.voters', `1@${host}:${controllerPort}`],
    ['listeners', `PLAINTEXT://${host}:${kafkaPort},CONTROLLER://${host}:${controllerPort}`],
    ['advertised.listeners', `PLAINTEXT://${host}:${kafkaPort}`],
    ['controller.listener.names', 'CONTROLLER'],
    ['listener.security.protocol.map', 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT'],
    ['inter.broker.listener.name', 'PLAINTEXT'],
    ['log.dirs', dataDir],
    ['num.partitions', 1],
    ['offsets.topic.replication.factor', 1],
    ['offsets.topic.num.partitions', 1],
    ['transaction.state.log.replication.factor', 1],
    ['transaction.state.log.min.isr', 1],
    ['group.initial.rebalance.delay.ms', 0],
    ['auto.create.topics.enable', false],
  ];
  const body = entries.map(([key, value]) => `${key}=${propertyValue(value)}`).join('\n');
  return `# Written by scripts/stack.js; regenerated on every start.\n${body}\n`;
}

// WARN and above to stdout, which the stack redirects into its log file.
function renderLog4j2Properties() {
  return [
    'rootLogger.level=WARN',
    'rootLogger.appenderRef.stdout.ref=STDOUT',
    'appender.stdout.type=Console',
    'appender.stdout.name=STDOUT',
    'appender.stdout.layout.type=PatternLayout',
    'appender.stdout.layout.pattern=[%d] %p %m (%c)%n',
    '',
  ].join('\n');
}

/** A dependency-only pom: Maven resolves the broker and a log4j2 binding into a flat lib dir. */
function renderPom({ kafkaVersion, scalaVersion, log4jVersion, dependencyPluginVersion }) {
  const dep = (groupId, artifactId, version) =>
    `    <dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version></dependency>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by scripts/stack.js: only used to fetch the Kafka broker's jars. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.api-keys-service</groupId>
  <artifactId>kafka-broker-${kafkaVersion}</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
${dep('org.apache.kafka', `kafka_${scalaVersion}`, kafkaVersion)}
${dep('org.apache.logging.log4j', 'log4j-slf4j-impl', log4jVersion)}
${dep('org.apache.logging.log4j', 'log4j-core', log4jVersion)}
  </dependencies>
  <build>
    <pluginManagement>
      <plugins>
        <plugin>
          <groupId>org.apache.maven.plugins</groupId>
          <artifactId>maven-dependency-plugin</artifactId>
          <version>${dependencyPluginVersion}</version>
        </plugin>
      </plugins>
    </pluginManagement>
  </build>
</project>
`;
}

/**
 * Kafka cluster ids are 16 bytes in unpadded URL-safe base64 (22 characters).
 * Kafka itself never hands out one starting with '-', since it would read as a CLI flag.
 */
function clusterIdFromBytes(bytes) {
  if (bytes.length !== 16) throw new Error(`a cluster id needs 16 bytes, got ${bytes.length}`);
  return Buffer.from(bytes).toString('base64url');
}

function newClusterId(randomBytes = crypto.randomBytes) {
  for (;;) {
    const id = clusterIdFromBytes(randomBytes(16));
    if (!id.startsWith('-')) return id;
  }
}

module.exports = { renderServerProperties, renderLog4j2Properties, renderPom, clusterIdFromBytes, newClusterId };
