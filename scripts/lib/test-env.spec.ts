import { readStackSettings } from '../stack/settings';
import { e2eEnv, testStackEnv } from './test-env';

const where = { repoRoot: '/repo', homeDir: '/home/dev' };

describe('the test stack', () => {
  it('lives in .stack/test on ports apart from the dev stack', () => {
    expect(testStackEnv({})).toEqual({
      STACK_DIR: '.stack/test',
      KAFKA_PORT: '39092',
      KAFKA_CONTROLLER_PORT: '39093',
      MONGO_PORT: '37017',
    });
  });

  it('ignores the dev stack variables of the calling shell', () => {
    const settings = readStackSettings({ KAFKA_PORT: '9092', STACK_DIR: '.stack/dev', ...testStackEnv({}) }, where);

    expect(settings.kafkaPort).toBe(39092);
    expect(settings.paths.stackDir).toBe('/repo/.stack/test');
  });

  it('moves when TEST_-prefixed variables say so', () => {
    expect(testStackEnv({ TEST_KAFKA_PORT: '49092', TEST_STACK_DIR: '.stack/test-b' })).toMatchObject({
      STACK_DIR: '.stack/test-b',
      KAFKA_PORT: '49092',
      MONGO_PORT: '37017',
    });
  });
});

describe('the e2e environment', () => {
  it('points the suites at the test servers and tells them how to reach the stack script', () => {
    const settings = readStackSettings({ ...testStackEnv({}) }, where);
    const env = e2eEnv({ PATH: '/bin', KAFKA_BROKERS: 'elsewhere:9092' }, settings);

    expect(env).toEqual({
      PATH: '/bin',
      KAFKA_BROKERS: '127.0.0.1:39092',
      MONGODB_URI: 'mongodb://127.0.0.1:37017/',
      STACK_DIR: '/repo/.stack/test',
      KAFKA_PORT: '39092',
      KAFKA_CONTROLLER_PORT: '39093',
      MONGO_PORT: '37017',
    });
  });
});
