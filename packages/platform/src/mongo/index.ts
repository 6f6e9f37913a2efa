export * from './mongo';
export * from './claim';
