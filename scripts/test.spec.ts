import { readStackSettings } from './stack/settings';
import { e2eEnv, planJestRuns, testStackEnv } from './test';

describe('npm test arguments', () => {
  it('runs lint, typecheck and both projects when given no arguments', () => {
    expect(planJestRuns([])).toEqual({ checks: true, unit: true, e2e: true, passthrough: [] });
  });

  it('runs both projects and passes other jest arguments to both unchanged, without the code checks', () => {
    expect(planJestRuns(['-t', 'rejects', '--verbose'])).toEqual({
      checks: false,
      unit: true,
      e2e: true,
      passthrough: ['-t', 'rejects', '--verbose'],
    });
  });

  it('runs only the selected projects', () => {
    expect(planJestRuns(['--selectProjects', 'e2e', 'keys'])).toEqual({
      checks: false,
      unit: false,
      e2e: true,
      passthrough: ['keys'],
    });
    expect(planJestRuns(['--selectProjects=unit'])).toEqual({ checks: false, unit: true, e2e: false, passthrough: [] });
    expect(planJestRuns(['--selectProjects', 'unit', 'e2e'])).toMatchObject({ unit: true, e2e: true });
  });

  it('rejects a project that does not exist', () => {
    expect(() => planJestRuns(['--selectProjects=integration'])).toThrow(/unknown jest project "integration"/);
    expect(() => planJestRuns(['--selectProjects', 'integration'])).toThrow(/needs one of: unit, e2e/);
  });
});

describe('the test stack', () => {
  const where = { repoRoot: '/repo', homeDir: '/home/dev' };

  it('lives in .stack/test on ports apart from the dev stack, whatever the calling shell says', () => {
    const settings = readStackSettings({ KAFKA_PORT: '9092', STACK_DIR: '.stack/dev', ...testStackEnv({}) }, where);

    expect(settings.kafkaBrokers).toBe('127.0.0.1:39092');
    expect(settings.mongoUrl).toBe('mongodb://127.0.0.1:37017/');
    expect(settings.paths.stackDir).toBe('/repo/.stack/test');
  });

  it('moves when TEST_-prefixed variables say so', () => {
    expect(testStackEnv({ TEST_KAFKA_PORT: '49092', TEST_STACK_DIR: '.stack/test-b' })).toEqual({
      STACK_DIR: '.stack/test-b',
      KAFKA_PORT: '49092',
      KAFKA_CONTROLLER_PORT: '39093',
      MONGO_PORT: '37017',
    });
  });

  it('points the e2e suites at the test servers and tells them how to reach the stack script', () => {
    const settings = readStackSettings(testStackEnv({}), where);

    expect(e2eEnv({ PATH: '/bin', KAFKA_BROKERS: 'elsewhere:9092' }, settings)).toEqual({
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
