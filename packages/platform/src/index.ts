// What every service is built on: config, logging, metrics, health, lifecycle, HTTP (problem+json,
// routes with their OpenAPI entries) and the Kafka, MongoDB, etcd, Redis and S3 clients.
export { loadConfig, ConfigError, env, baseConfigSchema } from './config';
export { withRenamedEnv, RENAMED_ENV } from './renamed-env';
export { createLogger, type Logger, REDACT_PATHS, type LoggerSettings } from './logger';
export {
  createMetricsRegistry,
  Counter,
  Gauge,
  Histogram,
  Registry,
  LATENCY_BUCKETS,
  messageEndToEnd,
  observeEndToEnd,
  idLikeLabelValue,
  idLikeLabels,
} from './metrics';
export { runHealthChecks, withTimeout, errorMessage, type HealthCheck, type HealthReport } from './health';
export { runMain, type Running } from './lifecycle';
export { eachLimited } from './each-limited';
export { startTracing } from './telemetry/start-tracing';
export { tracingConfigSchema, tracingEnabled, type TracingConfig } from './telemetry/tracing-config';
export {
  hubTracer,
  SpanAttr,
  type MessageRef,
  withMessage,
  activeMessage,
  startSendSpan,
  startProcessSpan,
  startHubSpan,
  failSpan,
  inSpan,
  traceparentOf,
  contextFromTraceparent,
  linkTo,
  traceIds,
} from './telemetry/spans';
export { registerConsumerLag, type ConsumerLagOptions } from './kafka/consumer-lag';
export {
  problemBody,
  zodFieldErrors,
  validationProblem,
  PROBLEMS,
  type ProblemCode,
  type FieldError,
  ProblemError,
  type ProblemBody,
} from './http/problem';
export { createServiceApp, problem, type AppVariables, type ServiceAppOptions, type HubEnv } from './http/app';
export { readJson, readQuery, readJsonOrForm, type JsonBodyOptions } from './http/body';
export { listen, type RunningServer } from './http/serve';
export { securityHeaders, SECURITY_HEADERS } from './http/security-headers';
export {
  decideCors,
  cors,
  type CorsPolicy,
  CORS_ALLOWED_METHODS,
  CORS_ALLOWED_HEADERS,
  CORS_EXPOSED_HEADERS,
  CORS_MAX_AGE_S,
  corsConfigSchema,
  type CorsDecision,
} from './http/cors';
export { kafkaNamePrefix, createKafka, ensureTopics, kafkaHealthCheck, type KafkaSettings, type TopicSpec } from './kafka/kafka';
export { traceHeaders, contextFromHeaders, headerString } from './kafka/trace-headers';
export { type OutgoingEvent, type EventPublisher, PublishUnavailableError } from './kafka/event-publisher';
export { type BatchingProducerOptions, BatchingProducer } from './kafka/batching-producer';
export {
  groupConsumer,
  decodeRecord,
  type ConsumedRecord,
  type BatchContext,
  type BatchHandler,
  type EventConsumerOptions,
  EventConsumer,
} from './kafka/event-consumer';
export { coalesceBatches, type PartitionBatch, type MultiBatchHandler } from './kafka/coalesce-batches';
export {
  kafkaSecurity,
  describeKafkaSecurity,
  kafkaSecurityConfigSchema,
  type KafkaSecurityConfig,
  type KafkaSecurity,
} from './kafka/kafka-security';
export {
  connectMongo,
  ensureIndexes,
  isDuplicateKeyError,
  writeErrorIndexes,
  mongoHealthCheck,
  type MongoSettings,
  type MongoHandle,
  type IndexPlan,
} from './mongo/mongo';
export { claimByInsert } from './mongo/claim';
export type { KeyValueStore, KvChange } from './etcd/key-value-store';
export { type EtcdSettings, EtcdStore } from './etcd/etcd-store';
export { mirrorPrefixes, type MirrorOptions, PrefixMirror } from './etcd/mirror-prefixes';
export { createRedis, redisHealthCheck, Redis, type RedisSettings } from './redis/redis';
export { type ExpiringStore, RedisExpiringStore } from './redis/expiring-store';
export type { ObjectStore, IncompleteUpload } from './s3/object-store';
export { contentDisposition, type S3Settings, S3ObjectStore } from './s3/s3-object-store';
export { kafkaConfigSchema, mongoConfigSchema, etcdConfigSchema, redisConfigSchema, s3ConfigSchema } from './infra-config';
export { connectInfra, connected, type InfraNeeds, type Infra, type InfraWith, type InfraClients } from './infra';
export { runService, type ServiceContext, type BuiltService, type ServiceDefinition } from './service';
export { type TokenSettings, type TokenVerifier, type VerifiedToken, InvalidTokenError, AccessTokens } from './auth/tokens';
export { authenticate, verifyOrThrow, bearer, requireScope, type SessionRevocations, type AuthVariables } from './auth/middleware';
export { authConfigSchema } from './auth/config';
export {
  problemResponses,
  createOpenApiRegistry,
  buildOpenApiDocument,
  OpenAPIRegistry,
  type RouteConfig,
  ProblemSchema,
} from './http/openapi';
export { serveOpenApiDocument, compareRoutesWithDocument, type RouteMethod, type RouteDefinition, RouteGroup } from './http/routes';
