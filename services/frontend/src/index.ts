export { createFrontendApp, type FrontendDeps } from './app';
export { frontendConfigSchema, loadFrontendConfig, type FrontendConfig } from './config';
