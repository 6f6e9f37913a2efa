export * from './object-store';
export * from './s3-object-store';
