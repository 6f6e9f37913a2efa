// Driver-backed implementations of @hub/identity's ports, for composition roots (main.ts, compose-*.ts) and
// integration tests. Domain code depends on the ports from '@hub/identity', never on these.
export { RedisRefreshTokenStore } from './redis-refresh-token-store';
export { subscribeRevocations, RedisSessionRevocations } from './redis-session-revocations';
export { type RedisRateLimiterSettings, RedisRateLimiter } from './redis-rate-limiter';
