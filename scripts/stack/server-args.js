'use strict';
// Pure command lines for the two servers.
const path = require('node:path');

function kafkaJavaArgs({ libDir, log4jProperties }) {
  return [
    '-Xmx512m',
    '-Djava.awt.headless=true',
    '-XX:+ExitOnOutOfMemoryError',
    `-Dlog4j2.configurationFile=${log4jProperties}`,
    '-cp',
    path.join(libDir, '*'),
  ];
}

function kafkaServerArgs(paths) {
  return [...kafkaJavaArgs(paths), 'kafka.Kafka', paths.serverProperties];
}

function kafkaFormatArgs(paths, clusterId) {
  return [
    ...kafkaJavaArgs(paths),
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId,
    '-c',
    paths.serverProperties,
    '--ignore-formatted',
  ];
}

// FerretDB wants a file: URI naming a directory, with the trailing slash.
function sqliteUrl(dataDir) {
  const dir = dataDir.endsWith('/') ? dataDir : `${dataDir}/`;
  return `file:${encodeURI(dir)}`;
}

function ferretdbArgs({ host, port, dataDir, stateDir }) {
  return [
    '--handler=sqlite',
    `--sqlite-url=${sqliteUrl(dataDir)}`,
    `--listen-addr=${host}:${port}`,
    '--debug-addr=-',
    '--telemetry=disable',
    '--log-level=warn',
    `--state-dir=${stateDir}`,
  ];
}

module.exports = { kafkaServerArgs, kafkaFormatArgs, ferretdbArgs, sqliteUrl };
