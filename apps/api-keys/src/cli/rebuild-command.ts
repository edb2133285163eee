import { AppConfig } from '../config/config';
import { rebuild } from '../rebuild/rebuild';

/**
 * `rebuild [--database NAME] [--verify]`: replays the events topic into a fresh database (by
 * default `<live database>_rebuild_<time>`), progress on stderr, the result as one JSON line on
 * stdout, with the settings that switch the service over to it.
 */
export async function runRebuild(config: AppConfig, database: string | undefined, verify: boolean): Promise<number> {
  const live = new URL(config.mongodbUri).pathname.slice(1) || 'api_keys';
  const target = database ?? `${live}_rebuild_${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`;
  const result = await rebuild(config, {
    database: target,
    verify,
    report: (line) => process.stderr.write(`${line}\n`),
  });
  const url = new URL(config.mongodbUri);
  url.pathname = `/${target}`;
  const switchOver = { MONGODB_URI: url.toString(), KAFKA_CONSUMER_GROUP: result.consumerGroup };
  process.stdout.write(`${JSON.stringify({ ...result, switchOver })}\n`);
  const differs = Object.values(result.verified ?? {}).some((c) => c.different + c.onlyLive + c.onlyRebuilt > 0);
  return differs ? 1 : 0;
}
