/**
 * Basic chat: two users, one conversation, a message from Alice to Bob over
 * the WebSocket, and Alice watching it become delivered (Bob's client acks
 * it) and read (Bob marks it read).
 *   npm run example:basic-chat [-- --base-url http://127.0.0.1:8080]
 */
import type { StatusData } from '@hub/sdk';
import { newUser, ok, run, say, settings, step, waitFor } from './support';

run('basic-chat', async () => {
  const s = settings();
  step(`registering two users on ${s.baseUrl}`);
  const alice = await newUser(s.baseUrl, 'alice');
  const bob = await newUser(s.baseUrl, 'bob');
  say(`${alice.username} and ${bob.username} registered and logged in`);

  step('Alice opens a direct conversation with Bob');
  const conv = await alice.hub.createConversation({ type: 'direct', members: [alice.username, bob.username] });
  say(`conversation ${conv.conversation_id}`);

  step('both connect over the WebSocket');
  const aliceWs = alice.hub.connect();
  const bobWs = bob.hub.connect();
  await Promise.all([aliceWs.once('open'), bobWs.once('open')]);
  say('both online');
  const statuses: StatusData[] = [];
  aliceWs.on('status', (st) => {
    statuses.push(st);
    say(`Alice sees status: ${st.recipient} via ${st.channel} → ${st.status}`);
  });

  step('Alice sends "Hi Bob!"');
  const received = bobWs.once('message');
  const { message_id } = await aliceWs.send(conv.conversation_id, { type: 'text', text: 'Hi Bob!' });
  say(`accepted as ${message_id}`);
  const m = await received;
  if (m.message_id !== message_id || m.payload.type !== 'text' || m.payload.text !== 'Hi Bob!')
    throw new Error(`Bob received something else: ${JSON.stringify(m)}`);
  ok(`Bob received #${m.sequence_number} from ${m.from}: "${m.payload.text}" (his client acknowledged it)`);
  await waitFor('the delivered status', () => statuses.some((x) => x.message_id === message_id && x.status === 'delivered'));
  ok('delivered');

  step('Bob reads it');
  bobWs.markRead(conv.conversation_id, m.sequence_number);
  await waitFor('the read status', () => statuses.some((x) => x.message_id === message_id && x.status === 'read'));
  ok('read');

  step('the REST status API agrees');
  const status = await alice.hub.messageStatus(message_id);
  for (const r of status.recipients) say(`${r.recipient} via ${r.channel}: ${r.status} at ${r.updated_at}`);
  if (status.status !== 'read') throw new Error(`GET /v1/messages/${message_id}/status says ${status.status}, not read`);
  ok(`status ${status.status}`);

  aliceWs.close();
  bobWs.close();
});
