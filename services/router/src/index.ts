export { createRouterApp, type RouterDeps } from './app';
export { routerConfigSchema, loadRouterConfig, type RouterConfig } from './config';
