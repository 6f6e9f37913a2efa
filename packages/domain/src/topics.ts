/** Kafka topics of the hub. Versioned: a breaking payload change gets a new topic. */
export const Topics = {
  messages: 'hub.messages.v1',
  status: 'hub.status.v1',
  retry: 'hub.retry.v1',
  dlq: 'hub.dlq.v1',
  presence: 'hub.presence.v1',
  files: 'hub.files.v1',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

/** Every consumer group of the hub (the client's KAFKA_NAME_PREFIX goes in front). */
export const ConsumerGroups = {
  route: 'router',
  notify: 'notify',
  /** The single writer of status history: hub.status.v1 → MongoDB `status_events`. */
  status: 'status-writer',
  /** The router's delayed consumer of outbound retries: its own group, as it reads only hub.retry.v1, on its own schedule. */
  retry: 'router-retry',
  /** Presence's status relay: one group for all nodes, so each status reaches the sender once. */
  presenceStatus: 'presence-status',
} as const;
