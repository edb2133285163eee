import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  connectionEnv,
  isBuildInput,
  newestInputMtime,
  redactUri,
  serversToStart,
  serviceEnv,
  staleness,
} from './prepare';

describe('when to run npm ci or nest build', () => {
  it.each([
    ['missing', false, 100, 1], // no node_modules, or no build (or no stamp)
    ['stale', true, null, 1], // node_modules not written by npm (no hidden lockfile)
    ['stale', true, 100, 101], // package-lock.json, or a source, changed after the last install or build began
    ['fresh', true, 100, 100],
  ])('%s when the output exists: %p, stamped at %p, newest input at %p', (state, exists, stampMs, inputMs) => {
    expect(staleness(exists, stampMs, inputMs)).toBe(state);
  });

  it.each([
    ['libs/kafka/src/index.ts', true],
    ['apps/api-keys/tsconfig.app.json', true],
    ['apps/api-keys/src/update-api-key/handler.spec.ts', false],
    ['apps/api-keys/test/keys.e2e-spec.ts', false],
    ['apps/api-keys/README.md', false],
  ])('counts %s as a build input: %s', (file, expected) => {
    expect(isBuildInput(file)).toBe(expected);
  });

  it('takes the newest non-test source, and sees a deleted file through its directory', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'prepare-'));
    const at = (relative: string, seconds: number, create = true) => {
      const file = path.join(root, relative);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      if (create && !fs.existsSync(file)) fs.writeFileSync(file, '');
      fs.utimesSync(file, seconds, seconds);
    };
    at('apps/src/main.ts', 1000);
    at('apps/src/main.spec.ts', 5000);
    at('libs/index.ts', 1500);
    for (const dir of ['apps', 'apps/src', 'libs']) at(dir, 1000, false);
    expect(newestInputMtime(root)).toBe(1500 * 1000);

    fs.rmSync(path.join(root, 'libs/index.ts'));
    at('libs', 3000, false);
    expect(newestInputMtime(root)).toBe(3000 * 1000);
    fs.rmSync(root, { recursive: true, force: true });
  });
});

describe('which servers npm start provides, and the service environment', () => {
  const settings = { kafkaBrokers: '127.0.0.1:9092', mongoUrl: 'mongodb://127.0.0.1:27017/' };

  it('starts only those whose address is not given (blank counts as not given)', () => {
    expect(serversToStart({ KAFKA_BROKERS: '', MONGODB_URI: ' ' })).toEqual(['kafka', 'mongo']);
    expect(serversToStart({ KAFKA_BROKERS: 'k:9092' })).toEqual(['mongo']);
    expect(serversToStart({ MONGODB_URI: 'mongodb://m/x' })).toEqual(['kafka']);
    expect(serversToStart({ KAFKA_BROKERS: 'k:9092', MONGODB_URI: 'mongodb://m/x' })).toEqual([]);
  });

  it('points at the local stack by default, with the api_keys database, port 3000 and its V8 limits', () => {
    expect(serviceEnv({}, settings)).toEqual({
      KAFKA_BROKERS: '127.0.0.1:9092',
      MONGODB_URI: 'mongodb://127.0.0.1:27017/api_keys',
      PORT: '3000',
      NODE_OPTIONS: '--max-old-space-size=192 --max-semi-space-size=4',
    });
    expect(connectionEnv({}, settings)).toEqual({
      KAFKA_BROKERS: '127.0.0.1:9092',
      MONGODB_URI: 'mongodb://127.0.0.1:27017/api_keys',
    });
  });

  it('keeps addresses, port and NODE_OPTIONS given by the caller, and passes everything else through', () => {
    const env = {
      KAFKA_BROKERS: 'k:1',
      MONGODB_URI: 'mongodb://m/db',
      PORT: '8080',
      LOG_LEVEL: 'debug',
      NODE_OPTIONS: '--max-old-space-size=1024',
    };
    expect(serviceEnv(env, settings)).toEqual(env);
  });

  it('hides the password of a connection string in log lines', () => {
    expect(redactUri('mongodb://app:s3cret@db:27017/api_keys')).toBe('mongodb://app:***@db:27017/api_keys');
    expect(redactUri('mongodb://127.0.0.1:27017/api_keys')).toBe('mongodb://127.0.0.1:27017/api_keys');
  });
});
