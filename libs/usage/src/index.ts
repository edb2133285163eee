// Usage of keys, apart from their state: counted in memory where a key is used (the verifier's
// verify route, the API's authentication) and published to the usage topic in batches, off the
// request path. Framework-free and broker-free: the caller hands in how records are appended.
export { UsageTally } from './usage-tally';
export type { KeyTally } from './usage-tally';
export { UsagePublisher } from './usage-publisher';
export type { UsagePublisherOptions } from './usage-publisher';
