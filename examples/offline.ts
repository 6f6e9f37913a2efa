/**
 * Offline delivery: Bob is offline while Alice sends; when he connects he
 * gets everything, in order. Then he drops off again and resumes from the
 * last message he acknowledged: no gap, no repeat.
 *   npm run example:offline [-- --base-url http://127.0.0.1:8080]
 */
import type { MessageData } from '@hub/sdk';
import { newUser, ok, run, say, settings, step, waitFor } from './support';

run('offline', async () => {
  const s = settings();
  step(`registering Alice and Bob on ${s.baseUrl}`);
  const alice = await newUser(s.baseUrl, 'alice');
  const bob = await newUser(s.baseUrl, 'bob');
  const conv = await alice.hub.createConversation({ type: 'direct', members: [alice.username, bob.username] });
  say(`conversation ${conv.conversation_id}`);

  const send = async (texts: string[]) => {
    for (const text of texts) {
      const { message_id } = await alice.hub.sendMessage({
        conversation_id: conv.conversation_id,
        from: alice.username,
        payload: { type: 'text', text },
      });
      say(`Alice sent "${text}" (${message_id})`);
    }
  };
  const expectInOrder = (got: MessageData[], texts: string[], what: string) => {
    const seen = got.map((m) => (m.payload.type === 'text' ? m.payload.text : '?'));
    if (JSON.stringify(seen) !== JSON.stringify(texts))
      throw new Error(`${what}: expected ${JSON.stringify(texts)}, got ${JSON.stringify(seen)}`);
    const seqs = got.map((m) => m.sequence_number);
    if (seqs.some((q, i) => i > 0 && q !== seqs[i - 1]! + 1)) throw new Error(`${what}: sequence numbers with a gap: ${seqs.join(',')}`);
    ok(`${what}: ${texts.length} messages in order (#${seqs[0]}…#${seqs.at(-1)}), no gap, no repeat`);
  };

  step('Bob is offline; Alice sends five messages');
  const first = ['one', 'two', 'three', 'four', 'five'];
  await send(first);

  step('Bob connects');
  const got: MessageData[] = [];
  let ws = bob.hub.connect();
  ws.on('message', (m) => {
    got.push(m);
    say(`Bob got #${m.sequence_number}: "${m.payload.type === 'text' ? m.payload.text : m.payload.type}"`);
  });
  await ws.once('open');
  await waitFor('the five messages', () => got.length >= first.length);
  await new Promise((r) => setTimeout(r, 500)); // anything extra would show up now
  expectInOrder(got, first, 'caught up');
  const positions = ws.positions();
  ws.close();
  say(`Bob goes offline again; his client keeps its position: ${JSON.stringify(positions)}`);

  step('Alice sends three more while Bob is away');
  const second = ['six', 'seven', 'eight'];
  await send(second);

  step('Bob reconnects and resumes from his position');
  const got2: MessageData[] = [];
  ws = bob.hub.connect({ resumeFrom: positions });
  ws.on('message', (m) => {
    got2.push(m);
    say(`Bob got #${m.sequence_number}: "${m.payload.type === 'text' ? m.payload.text : m.payload.type}"`);
  });
  await ws.once('open');
  await waitFor('the three new messages', () => got2.length >= second.length);
  await new Promise((r) => setTimeout(r, 500));
  expectInOrder(got2, second, 'resumed');
  ws.close();
});
