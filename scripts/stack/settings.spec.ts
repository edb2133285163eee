import { readStackSettings } from './settings';

const where = { repoRoot: '/repo', homeDir: '/home/dev' };

describe('stack settings', () => {
  it('uses the documented defaults when nothing is set (blank counts as unset)', () => {
    const settings = readStackSettings({ KAFKA_PORT: ' ', STACK_DIR: '' }, where);

    expect(settings.kafkaBrokers).toBe('127.0.0.1:9092');
    expect(settings.kafkaControllerPort).toBe(9093);
    expect(settings.mongoUrl).toBe('mongodb://127.0.0.1:27017/');
    expect(settings.paths.stackDir).toBe('/repo/.stack/dev');
    expect(settings.cacheDir).toBe('/home/dev/.cache/api-keys-service');
  });

  it('reads ports, STACK_DIR (relative to the repo root) and the cache from the environment', () => {
    const settings = readStackSettings(
      { KAFKA_PORT: '39092', KAFKA_CONTROLLER_PORT: '39093', MONGO_PORT: '37017', STACK_DIR: '.stack/test' },
      where,
    );

    expect(settings.kafkaBrokers).toBe('127.0.0.1:39092');
    expect(settings.kafkaControllerPort).toBe(39093);
    expect(settings.mongoUrl).toBe('mongodb://127.0.0.1:37017/');
    expect(settings.paths.stackDir).toBe('/repo/.stack/test');
    expect(readStackSettings({ XDG_CACHE_HOME: '/var/cache/me' }, where).cacheDir).toBe(
      '/var/cache/me/api-keys-service',
    );
  });

  it('keeps an absolute STACK_DIR, with pid files, logs and data inside it', () => {
    const { paths } = readStackSettings({ STACK_DIR: '/s' }, where);

    expect(paths.kafka).toMatchObject({ pidFile: '/s/kafka.pid', dataDir: '/s/kafka/data' });
    expect(paths.mongo).toMatchObject({ pidFile: '/s/ferretdb.pid', logFile: '/s/logs/ferretdb.log' });
  });

  it.each(['abc', '12.5', '-1', '0', '70000'])('rejects KAFKA_PORT=%s', (value) => {
    expect(() => readStackSettings({ KAFKA_PORT: value }, where)).toThrow(/KAFKA_PORT/);
  });

  it('rejects two servers on the same port', () => {
    expect(() => readStackSettings({ KAFKA_CONTROLLER_PORT: '9092' }, where)).toThrow(
      /KAFKA_PORT and KAFKA_CONTROLLER_PORT/,
    );
  });

  it('ignores a relative XDG_CACHE_HOME, as the XDG spec asks', () => {
    expect(readStackSettings({ XDG_CACHE_HOME: 'cache' }, where).cacheDir).toBe('/home/dev/.cache/api-keys-service');
  });
});
