export * from './key-value-store';
export * from './etcd-store';
