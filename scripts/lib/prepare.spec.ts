import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  buildState,
  connectionEnv,
  dependencyState,
  isBuildInput,
  newestInputMtime,
  redactUri,
  serversToStart,
  serviceEnv,
} from './prepare';

describe('when to run npm ci', () => {
  it('installs when node_modules is missing', () => {
    expect(dependencyState({ nodeModulesExists: false, lockMtimeMs: 1, installedLockMtimeMs: null })).toBe('missing');
  });

  it('reinstalls when package-lock.json is newer than the last install', () => {
    expect(dependencyState({ nodeModulesExists: true, lockMtimeMs: 200, installedLockMtimeMs: 100 })).toBe('stale');
  });

  it('reinstalls when node_modules was not written by npm (no hidden lockfile)', () => {
    expect(dependencyState({ nodeModulesExists: true, lockMtimeMs: 200, installedLockMtimeMs: null })).toBe('stale');
  });

  it('skips the install when the last one is at least as new as the lockfile', () => {
    expect(dependencyState({ nodeModulesExists: true, lockMtimeMs: 100, installedLockMtimeMs: 100 })).toBe('fresh');
  });
});

describe('when to rebuild', () => {
  it('builds when the entry file or the build stamp is missing', () => {
    expect(buildState({ entryExists: false, stampMtimeMs: 10, newestInputMtimeMs: 1 })).toBe('missing');
    expect(buildState({ entryExists: true, stampMtimeMs: null, newestInputMtimeMs: 1 })).toBe('missing');
  });

  it('rebuilds when a source changed after the last build started', () => {
    expect(buildState({ entryExists: true, stampMtimeMs: 100, newestInputMtimeMs: 101 })).toBe('stale');
  });

  it('reuses the build when no source is newer', () => {
    expect(buildState({ entryExists: true, stampMtimeMs: 100, newestInputMtimeMs: 100 })).toBe('fresh');
  });

  it.each([
    ['apps/api-keys/src/main.ts', true],
    ['libs/kafka/src/index.ts', true],
    ['apps/api-keys/tsconfig.app.json', true],
    ['apps/api-keys/src/update-api-key/handler.spec.ts', false],
    ['apps/api-keys/test/keys.e2e-spec.ts', false],
    ['apps/api-keys/README.md', false],
  ])('counts %s as a build input: %s', (file, expected) => {
    expect(isBuildInput(file)).toBe(expected);
  });

  describe('newest input', () => {
    let root: string;
    const at = (seconds: number) => new Date(seconds * 1000);
    const touch = (relative: string, seconds: number) => {
      const file = path.join(root, relative);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      if (!fs.existsSync(file)) fs.writeFileSync(file, '');
      fs.utimesSync(file, at(seconds), at(seconds));
    };
    const settleDirs = (seconds: number) => {
      for (const dir of ['apps', 'apps/src', 'libs']) fs.utimesSync(path.join(root, dir), at(seconds), at(seconds));
    };

    beforeEach(() => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), 'prepare-'));
      touch('apps/src/main.ts', 1000);
      touch('apps/src/main.spec.ts', 5000);
      touch('libs/index.ts', 1500);
      settleDirs(1000);
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it('is the newest non-test source, ignoring specs', () => {
      expect(newestInputMtime(root)).toBe(1500 * 1000);
    });

    it('moves when a source file is deleted (its directory changes)', () => {
      fs.rmSync(path.join(root, 'libs/index.ts'));
      fs.utimesSync(path.join(root, 'libs'), at(3000), at(3000));

      expect(newestInputMtime(root)).toBe(3000 * 1000);
    });
  });
});

describe('which servers npm start provides', () => {
  it('starts both when neither address is given', () => {
    expect(serversToStart({})).toEqual(['kafka', 'mongo']);
  });

  it('starts only the one whose address is missing', () => {
    expect(serversToStart({ KAFKA_BROKERS: 'k:9092' })).toEqual(['mongo']);
    expect(serversToStart({ MONGODB_URI: 'mongodb://m/x' })).toEqual(['kafka']);
  });

  it('starts nothing when both are given', () => {
    expect(serversToStart({ KAFKA_BROKERS: 'k:9092', MONGODB_URI: 'mongodb://m/x' })).toEqual([]);
  });

  it('treats an empty variable as not given', () => {
    expect(serversToStart({ KAFKA_BROKERS: '', MONGODB_URI: ' ' })).toEqual(['kafka', 'mongo']);
  });
});

describe('the service environment', () => {
  const settings = { kafkaBrokers: '127.0.0.1:9092', mongoUrl: 'mongodb://127.0.0.1:27017/' };

  it('points at the local stack by default, with the api_keys database and port 3000', () => {
    expect(serviceEnv({}, settings)).toEqual({
      KAFKA_BROKERS: '127.0.0.1:9092',
      MONGODB_URI: 'mongodb://127.0.0.1:27017/api_keys',
      PORT: '3000',
    });
  });

  it('keeps addresses and port given by the caller, and passes everything else through', () => {
    const env = serviceEnv(
      { KAFKA_BROKERS: 'k:1', MONGODB_URI: 'mongodb://m/db', PORT: '8080', LOG_LEVEL: 'debug' },
      settings,
    );

    expect(env).toEqual({ KAFKA_BROKERS: 'k:1', MONGODB_URI: 'mongodb://m/db', PORT: '8080', LOG_LEVEL: 'debug' });
  });

  it('gives the CLI the same addresses without choosing a port', () => {
    expect(connectionEnv({}, settings)).toEqual({
      KAFKA_BROKERS: '127.0.0.1:9092',
      MONGODB_URI: 'mongodb://127.0.0.1:27017/api_keys',
    });
  });

  it('hides the password of a connection string in log lines', () => {
    expect(redactUri('mongodb://app:s3cret@db:27017/api_keys')).toBe('mongodb://app:***@db:27017/api_keys');
    expect(redactUri('mongodb://127.0.0.1:27017/api_keys')).toBe('mongodb://127.0.0.1:27017/api_keys');
  });
});
