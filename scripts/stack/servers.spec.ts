import { parseJavaMajor } from './install';
import { javaArgs, newClusterId, renderPom, renderServerProperties } from './kafka';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ferretdbArgs, patchSource, removeOrphanedFiles } from './ferretdb';

describe('Kafka server.properties', () => {
  const render = (dataDir = '/stack/kafka/data') =>
    Object.fromEntries(
      renderServerProperties({ host: '127.0.0.1', kafkaPort: 39092, controllerPort: 39093, dataDir })
        .split('\n')
        .filter((line) => line && !line.startsWith('#'))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );

  it('runs one combined broker and controller on the given loopback ports, creating no topics itself', () => {
    expect(render()).toMatchObject({
      'process.roles': 'broker,controller',
      'controller.quorum.voters': '1@127.0.0.1:39093',
      listeners: 'PLAINTEXT://127.0.0.1:39092,CONTROLLER://127.0.0.1:39093',
      'advertised.listeners': 'PLAINTEXT://127.0.0.1:39092',
      'log.dirs': '/stack/kafka/data',
      'auto.create.topics.enable': 'false',
    });
  });

  it('is tuned for a single node and fast consumer-group joins', () => {
    expect(render()).toMatchObject({
      'offsets.topic.replication.factor': '1',
      'transaction.state.log.replication.factor': '1',
      'transaction.state.log.min.isr': '1',
      'group.initial.rebalance.delay.ms': '0',
    });
  });

  it('escapes backslashes in paths', () => {
    expect(render('C:\\stack\\data')['log.dirs']).toBe('C:\\\\stack\\\\data');
  });
});

describe('Kafka install and command lines', () => {
  it('fetches the broker and the log4j2 binding at pinned versions, from no repository of its own', () => {
    const pom = renderPom();

    expect(pom).toContain('<artifactId>kafka_2.13</artifactId><version>4.4.0</version>');
    expect(pom).toContain('<artifactId>log4j-slf4j-impl</artifactId><version>2.25.3</version>');
    expect(pom).toContain('<artifactId>log4j-core</artifactId><version>2.25.3</version>');
    expect(pom).not.toMatch(/<repositor|https?:\/\/(?!maven\.apache\.org\/POM)/);
  });

  it('makes 22-character cluster ids that never start with a dash (the format tool would read a flag)', () => {
    const dashFirst = Buffer.alloc(16, 0);
    dashFirst[0] = 0xf8; // top six bits 62 -> '-'
    const draws = [dashFirst, Buffer.alloc(16, 1)];

    expect(newClusterId(() => draws.shift() as Buffer)).toBe('AQEBAQEBAQEBAQEBAQEBAQ');
    expect(newClusterId()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });

  it('runs java with a small heap, our log4j2 config and the cached jars', () => {
    const args = javaArgs('/cache/lib', '/s/log4j2.properties', 'kafka.Kafka', '/s/p');

    expect(args).toEqual(expect.arrayContaining(['-Xmx512m', '-Dlog4j2.configurationFile=/s/log4j2.properties']));
    expect(args.slice(-4)).toEqual(['-cp', '/cache/lib/*', 'kafka.Kafka', '/s/p']);
  });

  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['java version "1.8.0_392"', 8],
    ['openjdk version "25-ea" 2025-09-16', 25],
    ['command not found', null],
  ])('reads java -version output %j as Java %p', (output, major) => {
    expect(parseJavaMajor(output)).toBe(major);
  });
});

describe('FerretDB command line', () => {
  it('runs on loopback with SQLite storage in a directory URL, no telemetry and no debug listener', () => {
    const args = ferretdbArgs({ host: '127.0.0.1', port: 37017, dataDir: '/my stack/data', stateDir: '/s/state' });

    expect(args).toEqual(
      expect.arrayContaining([
        '--handler=sqlite',
        '--sqlite-url=file:/my%20stack/data/?_pragma=wal_autocheckpoint(1000)&_pragma=journal_size_limit(16777216)',
        '--listen-addr=127.0.0.1:37017',
        '--debug-addr=-',
        '--telemetry=disable',
        '--state-dir=/s/state',
      ]),
    );
  });
});

describe('FerretDB source patches', () => {
  const patch = { name: 'demo', file: 'pkg/a.go', from: `X = "->'$._id'"`, to: `X = "->'_id'"` };
  let src: string;

  beforeEach(() => {
    src = fs.mkdtempSync(path.join(os.tmpdir(), 'ferretdb-src-'));
    fs.mkdirSync(path.join(src, 'pkg'));
  });
  afterEach(() => fs.rmSync(src, { recursive: true, force: true }));

  it('replaces the patched text, which must appear exactly once', () => {
    fs.writeFileSync(path.join(src, 'pkg/a.go'), `const (\n\tX = "->'$._id'"\n)\n`);
    patchSource(src, [patch]);
    expect(fs.readFileSync(path.join(src, 'pkg/a.go'), 'utf8')).toBe(`const (\n\tX = "->'_id'"\n)\n`);
  });

  it.each([
    ['is missing (a different FerretDB version)', 'const X = 1\n', 'found 0'],
    ['appears twice', `X = "->'$._id'"\nX = "->'$._id'"\n`, 'found 2'],
  ])('fails the build when the text %s', (_, text, message) => {
    fs.writeFileSync(path.join(src, 'pkg/a.go'), text);
    expect(() => patchSource(src, [patch])).toThrow(message);
  });
});

describe('files of dropped FerretDB databases', () => {
  let dir: string;

  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferretdb-data-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('removes a WAL and shared-memory file whose database file is gone, and nothing else', () => {
    const files = [
      'live.sqlite',
      'live.sqlite-wal',
      'live.sqlite-shm',
      'gone.sqlite-wal',
      'gone.sqlite-shm',
      'notes.txt',
    ];
    for (const name of files) fs.writeFileSync(path.join(dir, name), 'x'.repeat(10));

    expect(removeOrphanedFiles(dir)).toEqual({ files: ['gone.sqlite-shm', 'gone.sqlite-wal'], bytes: 20 });
    expect(fs.readdirSync(dir).sort()).toEqual(['live.sqlite', 'live.sqlite-shm', 'live.sqlite-wal', 'notes.txt']);
  });

  it('finds nothing to remove in a data directory that does not exist yet', () => {
    expect(removeOrphanedFiles(path.join(dir, 'missing'))).toEqual({ files: [], bytes: 0 });
  });
});
