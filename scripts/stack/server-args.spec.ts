import { ferretdbArgs, kafkaFormatArgs, kafkaServerArgs, sqliteUrl } from './server-args';

const kafkaFiles = {
  libDir: '/cache/kafka-4.4.0/lib',
  log4jProperties: '/s/kafka/log4j2.properties',
  serverProperties: '/s/kafka/server.properties',
};

describe('server command lines', () => {
  it('runs kafka.Kafka from the cached jars with a small heap and our log4j2 config', () => {
    const args = kafkaServerArgs(kafkaFiles);

    expect(args).toContain('-Xmx512m');
    expect(args).toContain('-Dlog4j2.configurationFile=/s/kafka/log4j2.properties');
    expect(args[args.indexOf('-cp') + 1]).toBe('/cache/kafka-4.4.0/lib/*');
    expect(args.slice(-2)).toEqual(['kafka.Kafka', '/s/kafka/server.properties']);
  });

  it('formats storage idempotently with the given cluster id', () => {
    const args = kafkaFormatArgs(kafkaFiles, 'AAAAAAAAAAAAAAAAAAAAAA');

    expect(args.slice(args.indexOf('kafka.tools.StorageTool'))).toEqual([
      'kafka.tools.StorageTool',
      'format',
      '-t',
      'AAAAAAAAAAAAAAAAAAAAAA',
      '-c',
      '/s/kafka/server.properties',
      '--ignore-formatted',
    ]);
  });

  it('runs FerretDB on loopback with SQLite storage, no telemetry and no debug listener', () => {
    const args = ferretdbArgs({
      host: '127.0.0.1',
      port: 37017,
      dataDir: '/s/ferretdb/data',
      stateDir: '/s/ferretdb/state',
    });

    expect(args).toEqual(
      expect.arrayContaining([
        '--handler=sqlite',
        '--sqlite-url=file:/s/ferretdb/data/',
        '--listen-addr=127.0.0.1:37017',
        '--debug-addr=-',
        '--telemetry=disable',
        '--state-dir=/s/ferretdb/state',
      ]),
    );
  });

  it('gives FerretDB a directory URL with one trailing slash and encoded spaces', () => {
    expect(sqliteUrl('/a/b/')).toBe('file:/a/b/');
    expect(sqliteUrl('/my stack/data')).toBe('file:/my%20stack/data/');
  });
});
