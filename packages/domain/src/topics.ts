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

/** Consumer groups named by the architecture. */
export const ConsumerGroups = {
  route: 'router',
  notify: 'notify',
  /** The single writer of status history: hub.status.v1 → MongoDB `status_events`. */
  status: 'status-writer',
} as const;
