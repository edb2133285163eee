import { clusterIdFromBytes, newClusterId, renderPom, renderServerProperties } from './kafka-files';

function parseProperties(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('Kafka server.properties', () => {
  const render = (dataDir = '/stack/kafka/data') =>
    parseProperties(renderServerProperties({ host: '127.0.0.1', kafkaPort: 39092, controllerPort: 39093, dataDir }));

  it('runs one combined broker and controller on the given loopback ports', () => {
    const props = render();

    expect(props['process.roles']).toBe('broker,controller');
    expect(props['controller.quorum.voters']).toBe('1@127.0.0.1:39093');
    expect(props.listeners).toBe('PLAINTEXT://127.0.0.1:39092,CONTROLLER://127.0.0.1:39093');
    expect(props['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:39092');
    expect(props['log.dirs']).toBe('/stack/kafka/data');
  });

  it('never creates topics implicitly', () => {
    expect(render()['auto.create.topics.enable']).toBe('false');
  });

  it('is tuned for a single node and fast consumer-group joins', () => {
    const props = render();

    expect(props['offsets.topic.replication.factor']).toBe('1');
    expect(props['transaction.state.log.replication.factor']).toBe('1');
    expect(props['transaction.state.log.min.isr']).toBe('1');
    expect(props['group.initial.rebalance.delay.ms']).toBe('0');
  });

  it('escapes backslashes in paths', () => {
    expect(render('C:\\stack\\data')['log.dirs']).toBe('C:\\\\stack\\\\data');
  });
});

describe('Kafka pom', () => {
  const pom = renderPom({
    kafkaVersion: '4.4.0',
    scalaVersion: '2.13',
    log4jVersion: '2.25.3',
    dependencyPluginVersion: '2.8',
  });

  it('names the broker and the log4j2 binding at pinned versions', () => {
    expect(pom).toContain('<artifactId>kafka_2.13</artifactId><version>4.4.0</version>');
    expect(pom).toContain('<artifactId>log4j-slf4j-impl</artifactId><version>2.25.3</version>');
    expect(pom).toContain('<artifactId>log4j-core</artifactId><version>2.25.3</version>');
  });

  it('declares no repositories of its own', () => {
    expect(pom).not.toMatch(/<repositor/);
    expect(pom).not.toMatch(/https?:\/\/(?!maven\.apache\.org\/POM)/);
  });
});

describe('Kafka cluster id', () => {
  it('is 22 URL-safe base64 characters', () => {
    for (let i = 0; i < 50; i += 1) {
      expect(newClusterId()).toMatch(/^[A-Za-z0-9_-]{22}$/);
    }
  });

  it('never starts with a dash, which the format tool would read as a flag', () => {
    const dashFirst = Buffer.alloc(16, 0);
    dashFirst[0] = 0xf8; // top six bits 62 -> '-'
    const draws = [dashFirst, Buffer.alloc(16, 1)];
    const id = newClusterId(() => draws.shift() as Buffer);

    expect(clusterIdFromBytes(dashFirst).startsWith('-')).toBe(true);
    expect(id.startsWith('-')).toBe(false);
  });

  it('needs exactly 16 bytes', () => {
    expect(() => clusterIdFromBytes(Buffer.alloc(8))).toThrow(/16 bytes/);
  });
});
