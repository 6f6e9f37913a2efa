import { describe, expect, it } from 'vitest';
import { reservedPortsFromConfig } from './reserved-ports';

describe('reservedPortsFromConfig', () => {
  it("takes the services' ports and every stack server's port from configuration", () => {
    const r = reservedPortsFromConfig({
      GATEWAY_PORT: 8080,
      FRONTEND_PORT: 0, // bound at start: the service adds the real one
      ROUTER_PORT: 8082,
      KAFKA_BROKERS: ['127.0.0.1:19092', 'kafka-2:9093'],
      MONGO_URL: 'mongodb://user:pw@127.0.0.1:27117,db2/?replicaSet=rs0',
      ETCD_HOSTS: ['http://127.0.0.1:23790', 'https://etcd.internal'],
      REDIS_URL: 'redis://127.0.0.1:16379/0',
      S3_ENDPOINT: 'http://[::1]:19000',
    });
    expect(r.ports).toEqual([443, 8080, 8082, 9093, 16379, 19000, 19092, 23790, 27017, 27117]);
    expect(r.owner(27017)).toBe('MongoDB server (MONGO_URL)');
    expect(r.owner(443)).toBe('etcd server (ETCD_HOSTS)');
    expect(r.owner(8081)).toBeUndefined();
    r.add(41234, 'frontend service (bound port)');
    expect(r.owner(41234)).toBe('frontend service (bound port)');
  });

  it('gives no port for a mongodb+srv URL (DNS names them)', () => {
    expect(reservedPortsFromConfig({ MONGO_URL: 'mongodb+srv://cluster0.example.net/hub' }).ports).toEqual([]);
  });
});
