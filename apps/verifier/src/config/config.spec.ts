import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, KNOWN_ENV_VARS, loadConfig } from './config';

describe('the verifier’s loadConfig', () => {
  it('uses the documented defaults: port 3100, the API’s state topic, no token outside production', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3100);
    expect(config.host).toBe('127.0.0.1');
    expect(config.kafka.stateTopic).toBe('api-keys.state');
    expect(config.token).toBeNull();
    expect(config.minPositionWaitMs).toBe(2000);
    expect(loadConfig({ KAFKA_EVENTS_TOPIC: 'e2e.x' }).kafka.stateTopic).toBe('e2e.x.state');
  });

  it('publishes usage to the API’s usage topic every 10 s by default, under the canonical schema base', () => {
    const config = loadConfig({});
    expect(config.kafka.usageTopic).toBe('api-keys.usage');
    expect(config.usageFlushMs).toBe(10_000);
    expect(config.schemaBaseUrl).toBe('https://schemas.api-keys.example/');
    expect(loadConfig({ KAFKA_EVENTS_TOPIC: 'e2e.x' }).kafka.usageTopic).toBe('e2e.x.usage');
    expect(loadConfig({ KAFKA_USAGE_TOPIC: 'uses' }).kafka.usageTopic).toBe('uses');
    expect(() => loadConfig({ USAGE_FLUSH_MS: '10' })).toThrow(/USAGE_FLUSH_MS/);
    expect(() => loadConfig({ SCHEMA_BASE_URL: 'https://x.example/schemas' })).toThrow(/SCHEMA_BASE_URL must end/);
  });

  it('requires VERIFIER_TOKEN when NODE_ENV=production, and never repeats a bad one', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/VERIFIER_TOKEN is required/);
    const token = 'x'.repeat(32);
    expect(loadConfig({ NODE_ENV: 'production', VERIFIER_TOKEN: token }).token).toBe(token);
    try {
      loadConfig({ VERIFIER_TOKEN: 'short secret' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toMatch(/VERIFIER_TOKEN must be 32/);
      expect((error as ConfigError).message).not.toContain('short secret');
    }
  });

  it('names every bad variable at once', () => {
    expect(() => loadConfig({ VERIFIER_PORT: '70000', VERIFIER_MIN_POSITION_WAITERS: '0' })).toThrow(
      /VERIFIER_PORT[\s\S]*VERIFIER_MIN_POSITION_WAITERS/,
    );
  });

  it('is documented in the README’s verifier section: one configuration row per variable, none left over', () => {
    const readme = readFileSync(join(__dirname, '../../../../README.md'), 'utf8');
    const section = readme.split('\n## The verifier')[1].split('\n## ')[0].split('**Configuration**')[1];
    const documented = [...section.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((match) => match[1]);
    expect([...documented].sort()).toEqual([...KNOWN_ENV_VARS].sort());
  });
});
