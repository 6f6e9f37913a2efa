export * from './app';
export * from './config';
export { MongoFileCatalog } from './adapters/mongo-file-catalog';
export { FILES_COLLECTION } from './adapters/mongo-file-repository';
