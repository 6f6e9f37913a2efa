export { createFilesApp, type FilesDeps } from './app';
export { filesConfigSchema, loadFilesConfig, type FilesConfig } from './config';
export { MongoFileCatalog } from './adapters/mongo-file-catalog';
export { FILES_COLLECTION } from './adapters/mongo-file-repository';
