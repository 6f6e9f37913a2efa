import { describe, expectTypeOf, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import type { Infra, InfraNeeds, InfraWith } from './infra';
import type { BatchingProducer } from './kafka/batching-producer';
import type { MongoHandle } from './mongo/mongo';
import type { S3ObjectStore } from './s3/s3-object-store';

type Needs<T extends InfraNeeds> = T;
type KafkaNeed = NonNullable<InfraNeeds['kafka']>;
type MongoNeed = NonNullable<InfraNeeds['mongo']>;
type S3Need = NonNullable<InfraNeeds['s3']>;

// Checked by the type-check of `npm test`; the assertions do nothing at run time.
describe('Infra<N>: exactly the clients the needs name', () => {
  it('makes always-needed clients non-optional and leaves unnamed ones out', () => {
    type I = Infra<Needs<{ kafka: KafkaNeed & { producer: true }; mongo: MongoNeed }>>;
    expectTypeOf<I['kafka']>().toEqualTypeOf<Kafka>();
    expectTypeOf<I['producer']>().toEqualTypeOf<BatchingProducer>();
    expectTypeOf<I['mongo']>().toEqualTypeOf<MongoHandle>();
    expectTypeOf<I>().not.toHaveProperty('etcd');
    expectTypeOf<I>().not.toHaveProperty('s3');
  });

  it('keeps a conditional need optional, and has no producer for producer: false', () => {
    type I = Infra<Needs<{ kafka: KafkaNeed & { producer: false }; s3?: S3Need }>>;
    expectTypeOf<I['s3']>().toEqualTypeOf<S3ObjectStore | undefined>();
    expectTypeOf<I>().not.toHaveProperty('producer');
    // A producer decided at run time (the router's chosen workers) is optional.
    expectTypeOf<Infra<Needs<{ kafka: KafkaNeed & { producer: boolean } }>>['producer']>().toEqualTypeOf<BatchingProducer | undefined>();
  });

  it('is assignable to what a composition function asks for', () => {
    type I = Infra<Needs<{ kafka: KafkaNeed & { producer: true }; mongo: MongoNeed }>>;
    expectTypeOf<I>().toExtend<InfraWith<'kafka' | 'producer' | 'mongo'>>();
    expectTypeOf<Infra>().not.toExtend<InfraWith<'mongo'>>();
  });
});
