import * as path from 'node:path';
import { readStackSettings } from './settings';

const where = { repoRoot: '/repo', homeDir: '/home/dev' };

describe('stack settings', () => {
  it('uses the documented defaults when nothing is set', () => {
    const settings = readStackSettings({}, where);

    expect(settings.kafkaPort).toBe(9092);
    expect(settings.kafkaControllerPort).toBe(9093);
    expect(settings.mongoPort).toBe(27017);
    expect(settings.paths.stackDir).toBe(path.join('/repo', '.stack', 'dev'));
    expect(settings.kafkaBrokers).toBe('127.0.0.1:9092');
    expect(settings.mongoUrl).toBe('mongodb://127.0.0.1:27017/');
  });

  it('reads the ports from the environment', () => {
    const settings = readStackSettings(
      { KAFKA_PORT: '39092', KAFKA_CONTROLLER_PORT: '39093', MONGO_PORT: '37017' },
      where,
    );

    expect(settings.kafkaBrokers).toBe('127.0.0.1:39092');
    expect(settings.kafkaControllerPort).toBe(39093);
    expect(settings.mongoUrl).toBe('mongodb://127.0.0.1:37017/');
  });

  it('treats blank values as unset', () => {
    expect(readStackSettings({ KAFKA_PORT: ' ', STACK_DIR: '' }, where).kafkaPort).toBe(9092);
  });

  it('resolves a relative STACK_DIR against the repo root and keeps an absolute one', () => {
    expect(readStackSettings({ STACK_DIR: '.stack/test' }, where).paths.stackDir).toBe(
      path.join('/repo', '.stack', 'test'),
    );
    expect(readStackSettings({ STACK_DIR: '/tmp/stack' }, where).paths.stackDir).toBe('/tmp/stack');
  });

  it('keeps pid files, logs and data inside STACK_DIR', () => {
    const { paths } = readStackSettings({ STACK_DIR: '/s' }, where);

    expect(paths.kafka.pidFile).toBe('/s/kafka.pid');
    expect(paths.kafka.dataDir).toBe('/s/kafka/data');
    expect(paths.mongo.pidFile).toBe('/s/ferretdb.pid');
    expect(paths.mongo.logFile).toBe('/s/logs/ferretdb.log');
  });

  it.each([['abc'], ['12.5'], ['-1'], ['0'], ['70000']])('rejects KAFKA_PORT=%s', (value) => {
    expect(() => readStackSettings({ KAFKA_PORT: value }, where)).toThrow(/KAFKA_PORT/);
  });

  it('rejects two servers on the same port', () => {
    expect(() => readStackSettings({ KAFKA_CONTROLLER_PORT: '9092' }, where)).toThrow(
      /KAFKA_PORT and KAFKA_CONTROLLER_PORT/,
    );
  });

  it('caches downloads under an absolute XDG_CACHE_HOME, else under ~/.cache', () => {
    expect(readStackSettings({ XDG_CACHE_HOME: '/var/cache/me' }, where).cacheDir).toBe(
      '/var/cache/me/api-keys-service',
    );
    expect(readStackSettings({}, where).cacheDir).toBe('/home/dev/.cache/api-keys-service');
  });

  it('ignores a relative XDG_CACHE_HOME, as the XDG spec asks', () => {
    expect(readStackSettings({ XDG_CACHE_HOME: 'cache' }, where).cacheDir).toBe('/home/dev/.cache/api-keys-service');
  });
});
