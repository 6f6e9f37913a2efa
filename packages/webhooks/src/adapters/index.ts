// Driver-backed implementations of @hub/webhooks's ports, for composition roots (main.ts, compose-*.ts) and
// integration tests. Domain code depends on the ports from '@hub/webhooks', never on these.
export { MongoWebhookDeliveryStore } from './mongo-webhook-delivery-store';
