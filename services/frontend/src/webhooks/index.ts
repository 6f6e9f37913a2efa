export * from './webhooks-deps';
export * from './webhooks.routes';
export * from './compose-webhooks';
