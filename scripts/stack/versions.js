'use strict';
// The server versions the local stack runs. Changing one changes the cache directory name,
// so old and new builds never mix.

module.exports = Object.freeze({
  KAFKA_VERSION: '4.4.0',
  KAFKA_SCALA: '2.13',
  LOG4J_VERSION: '2.25.3',
  // The version Maven 3.8's default bindings resolve; pinned so a newer Maven fetches nothing new.
  MAVEN_DEPENDENCY_PLUGIN_VERSION: '2.8',
  FERRETDB_MODULE: 'github.com/FerretDB/FerretDB',
  FERRETDB_VERSION: 'v1.24.2',
  MIN_JAVA_MAJOR: 17,
});
