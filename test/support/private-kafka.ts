import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, portOpen } from './private-servers';

export interface PrivateKafka {
  brokers: string;
  /** With `secured`: a SASL_SSL listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) for the one user given. */
  securedBrokers?: string;
  /** SIGKILL: the broker vanishes at once (no controlled shutdown). */
  kill(): Promise<void>;
  /** Starts it again on the same port and data (after kill). */
  restart(): Promise<void>;
  /** Kills it and removes its data. */
  stop(): Promise<void>;
}

/**
 * A single-node KRaft Kafka owned by one test, from the jars the stack
 * script cached (deploy/local/stack.sh), so a test can take its broker away
 * without touching the shared one. Small heap; data in a temp dir.
 */
export async function startPrivateKafka(
  opts: { secured?: { certFile: string; keyFile: string; username: string; password: string } } = {},
): Promise<PrivateKafka> {
  const lib = join(process.env.HUB_CACHE_DIR ?? join(homedir(), '.cache', 'messaging-hub'), 'kafka-3.9.1', 'lib');
  const dir = mkdtempSync(join(tmpdir(), 'hub-kafka-'));
  const [port, controllerPort, securedPort] = [await freePort(), await freePort(), await freePort()];
  const sec = opts.secured;
  // The broker's TLS identity as a PEM keystore (key, then certificate), as Kafka 2.7+ reads it.
  const keystore = join(dir, 'keystore.pem');
  if (sec) writeFileSync(keystore, readFileSync(sec.keyFile, 'utf8') + readFileSync(sec.certFile, 'utf8'));
  const securedProps = sec
    ? [
        'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
        `listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${sec.username}="${sec.password}";`,
        'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
        'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
        'ssl.keystore.type=PEM',
        `ssl.keystore.location=${keystore}`,
      ]
    : [];
  const props = join(dir, 'server.properties');
  const log4j = join(dir, 'log4j.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}${sec ? `,SASL_SSL://127.0.0.1:${securedPort}` : ''}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}${sec ? `,SASL_SSL://127.0.0.1:${securedPort}` : ''}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL',
      ...securedProps,
      `log.dirs=${join(dir, 'logs')}`,
      'num.partitions=1',
      'default.replication.factor=1',
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'min.insync.replicas=1',
      'group.initial.rebalance.delay.ms=0',
    ].join('\n'),
  );
  writeFileSync(
    log4j,
    [
      'log4j.rootLogger=INFO, stdout',
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
    ].join('\n'),
  );
  const java = (args: string[]) =>
    spawnSync('java', [`-Dlog4j.configuration=file:${log4j}`, '-cp', `${lib}/*`, ...args], { encoding: 'utf8' });
  const id = java(['kafka.tools.StorageTool', 'random-uuid']).stdout.trim().split('\n').pop()!;
  // SCRAM credentials live in the metadata log: added when the storage is formatted.
  const scram = sec
    ? ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => ['--add-scram', `${m}=[name=${sec.username},password=${sec.password}]`])
    : [];
  const format = java(['kafka.tools.StorageTool', 'format', '-t', id, '-c', props, ...scram]);
  if (format.status !== 0) throw new Error(`kafka storage format failed: ${format.stderr || format.stdout}`);

  let proc: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const logFile = join(dir, 'kafka.log');
  const start = async () => {
    writeFileSync(logFile, '');
    const out = (await import('node:fs')).openSync(logFile, 'a');
    proc = spawn(
      'java',
      [
        '-Xmx256m',
        '-Xms128m',
        '-XX:+UseSerialGC',
        '-Djava.awt.headless=true',
        `-Dlog4j.configuration=file:${log4j}`,
        '-cp',
        `${lib}/*`,
        'kafka.Kafka',
        props,
      ],
      { stdio: ['ignore', out, out] },
    );
    const p = proc;
    exited = new Promise<void>((r) => p.once('exit', () => r()));
    const deadline = Date.now() + 90_000;
    while (!readFileSync(logFile, 'utf8').includes('Kafka Server started') || !(await portOpen(port))) {
      if (p.exitCode !== null) throw new Error(`private kafka exited:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
      if (Date.now() > deadline) throw new Error('private kafka did not start within 90 s');
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const kill = async () => {
    if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    brokers: `127.0.0.1:${port}`,
    ...(sec ? { securedBrokers: `127.0.0.1:${securedPort}` } : {}),
    kill,
    restart: start,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
