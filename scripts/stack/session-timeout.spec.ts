import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SESSION_TIMEOUT_MS } from '../../libs/kafka/src/partition-consumer';
import { GROUP_MIN_SESSION_TIMEOUT_MS, renderServerProperties } from './kafka';

// The projector's consumers ask for short sessions (fast failover); a broker whose minimum is
// above that refuses them, and the service falls back to a slow failover. Both brokers we ship
// settings for must allow it, with one value.
describe('the brokers we configure allow the consumer session timeout', () => {
  const properties = renderServerProperties({
    host: '127.0.0.1',
    kafkaPort: 39092,
    controllerPort: 39093,
    dataDir: '/d',
  });
  const compose = parse(readFileSync(join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8')) as {
    services: { kafka: { environment: Record<string, unknown> } };
  };

  it('in the local stack', () => {
    expect(properties).toContain(`\ngroup.min.session.timeout.ms=${GROUP_MIN_SESSION_TIMEOUT_MS}\n`);
    expect(GROUP_MIN_SESSION_TIMEOUT_MS).toBeLessThanOrEqual(SESSION_TIMEOUT_MS);
  });

  it('in docker-compose.yml, with the same minimum', () => {
    expect(compose.services.kafka.environment.KAFKA_GROUP_MIN_SESSION_TIMEOUT_MS).toBe(GROUP_MIN_SESSION_TIMEOUT_MS);
  });
});
