export * from './key-value-store';
export * from './etcd-store';
export * from './mirror-prefixes';
