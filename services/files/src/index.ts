export { createFilesApp, type FilesDeps } from './app';
export { filesConfigSchema, loadFilesConfig, type FilesConfig } from './config';
