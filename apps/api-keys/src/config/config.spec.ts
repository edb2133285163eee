import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, KNOWN_ENV_VARS, loadConfig } from './config';

describe('loadConfig', () => {
  it('uses the documented defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.kafka.eventsTopic).toBe('api-keys.events');
    expect(config.kafka.deadLetterTopic).toBe('api-keys.events.dlq');
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.readYourWritesTimeoutMs).toBe(5000);
  });

  it('listens on loopback unless HOST says otherwise, and refuses a HOST that is no address', () => {
    expect(loadConfig({}).host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '::' }).host).toBe('::');
    expect(() => loadConfig({ HOST: 'http://0.0.0.0' })).toThrow(/HOST/);
  });

  it('reads brokers as a list and derives the dead-letter topic from the events topic', () => {
    const config = loadConfig({ KAFKA_BROKERS: 'a:1,b:2', KAFKA_EVENTS_TOPIC: 'keys' });
    expect(config.kafka.brokers).toEqual(['a:1', 'b:2']);
    expect(config.kafka.deadLetterTopic).toBe('keys.dlq');
  });

  it('gives a user five times a key’s budget unless told otherwise', () => {
    expect(loadConfig({ RATE_LIMIT_PER_KEY: '60' }).rateLimits.requestsPerUser).toBe(300);
    expect(loadConfig({ RATE_LIMIT_PER_KEY: '60', RATE_LIMIT_PER_USER: '90' }).rateLimits.requestsPerUser).toBe(90);
    expect(() => loadConfig({ RATE_LIMIT_SYNC_MS: '10' })).toThrow(ConfigError);
  });

  it('holds a key id’s 404 for NOT_FOUND_FLOOR_MS (20 by default), 0 to 1000', () => {
    expect(loadConfig({}).notFoundFloorMs).toBe(20);
    expect(loadConfig({ NOT_FOUND_FLOOR_MS: '0' }).notFoundFloorMs).toBe(0);
    expect(loadConfig({ NOT_FOUND_FLOOR_MS: '1000' }).notFoundFloorMs).toBe(1000);
    for (const bad of ['-1', '1001', '15.5'])
      expect(() => loadConfig({ NOT_FOUND_FLOOR_MS: bad })).toThrow(/NOT_FOUND_FLOOR_MS/);
  });

  it('rejects a non-integer port instead of guessing', () => {
    expect(() => loadConfig({ PORT: '3000abc' })).toThrow(ConfigError);
  });

  it('names every bad variable at once', () => {
    try {
      loadConfig({ PORT: '70000', MONGODB_URI: 'http://x', LOG_LEVEL: 'loud' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const text = (error as ConfigError).problems.join('\n');
      expect(text).toContain('PORT');
      expect(text).toContain('MONGODB_URI');
      expect(text).toContain('LOG_LEVEL');
    }
  });

  it('defaults SCHEMA_BASE_URL to its own /schemas/ URL, and takes an absolute http(s) URL ending with /', () => {
    expect(loadConfig({}).schemaBaseUrl).toBe('http://127.0.0.1:3000/schemas/');
    expect(loadConfig({ PORT: '8080' }).schemaBaseUrl).toBe('http://127.0.0.1:8080/schemas/');
    expect(loadConfig({ HOST: '127.0.0.2' }).schemaBaseUrl).toBe('http://127.0.0.2:3000/schemas/');
    expect(loadConfig({ HOST: '0.0.0.0' }).schemaBaseUrl).toBe('http://127.0.0.1:3000/schemas/');
    expect(loadConfig({ HOST: '::1' }).schemaBaseUrl).toBe('http://[::1]:3000/schemas/');
    // An ephemeral port is unknown until the service listens: the committed files' base stands in.
    expect(loadConfig({ PORT: '0' }).schemaBaseUrl).toBe('https://schemas.api-keys.example/');
    for (const base of ['https://contracts.example.com/api-keys/', 'http://localhost:3000/schemas/'])
      expect(loadConfig({ SCHEMA_BASE_URL: base }).schemaBaseUrl).toBe(base);
    for (const bad of [
      'https://contracts.example.com/api-keys',
      '/schemas/',
      'schemas.example.com/',
      'ftp://contracts.example.com/',
      'https://contracts.example.com/?v=1/',
      'https://contracts.example.com/#x/',
    ])
      expect(() => loadConfig({ SCHEMA_BASE_URL: bad })).toThrow(/SCHEMA_BASE_URL/);
  });

  it('publishes and projects usage on its own topic and consumer group, every 10 s by default', () => {
    const config = loadConfig({});
    expect(config.kafka.usageTopic).toBe('api-keys.usage');
    expect(config.kafka.usageConsumerGroup).toBe('api-keys-projector-usage');
    expect(config.usageFlushMs).toBe(10_000);
    expect(loadConfig({ KAFKA_EVENTS_TOPIC: 'orders.events' }).kafka.usageTopic).toBe('orders.usage');
    expect(loadConfig({ KAFKA_USAGE_TOPIC: 'uses', KAFKA_CONSUMER_GROUP: 'g' }).kafka).toMatchObject({
      usageTopic: 'uses',
      usageConsumerGroup: 'g-usage',
    });
    expect(() => loadConfig({ USAGE_FLUSH_MS: '0' })).toThrow(/USAGE_FLUSH_MS/);
  });

  it('lists every variable it understands', () => {
    expect(KNOWN_ENV_VARS).toEqual(
      expect.arrayContaining([
        'PORT',
        'MONGODB_URI',
        'KAFKA_BROKERS',
        'KAFKA_CLIENT_ID',
        'KAFKA_EVENTS_TOPIC',
        'LOG_LEVEL',
      ]),
    );
  });

  it('is documented in the README: one configuration row per variable, none left over', () => {
    const readme = readFileSync(join(__dirname, '../../../../README.md'), 'utf8');
    const section = readme.split('## Configuration')[1].split('\n## ')[0];
    const documented = [...section.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((match) => match[1]);
    expect([...documented].sort()).toEqual([...KNOWN_ENV_VARS].sort());
  });
});
