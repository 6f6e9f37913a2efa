export * from './notify-worker';
export * from './webhook-dispatcher';
export * from './endpoint-health';
export * from './notify-intake';
export * from './notify-metrics';
export * from './notify-settings';
