/**
 * A big file: 100 MB (--size-mb) written to a temporary file, uploaded in
 * parallel parts (multipart), sent to a conversation as a file message,
 * received by Bob over the WebSocket and downloaded with its SHA-256 checked.
 *   npm run example:big-file [-- --size-mb 100 --base-url http://127.0.0.1:8080]
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { unwrap } from '@hub/sdk';
import { sha256File, uploadFile } from '@hub/sdk/node';
import { newUser, ok, run, say, settings, step } from './support';

const MiB = 1024 * 1024;

run('big-file', async () => {
  const s = settings({ 'size-mb': { type: 'string', default: '100' } });
  const sizeMb = Number(s.options['size-mb']);
  if (!Number.isFinite(sizeMb) || sizeMb <= 0) throw new Error(`--size-mb must be a positive number, not ${String(s.options['size-mb'])}`);
  const size = Math.round(sizeMb * MiB);
  const dir = mkdtempSync(join(tmpdir(), 'hub-big-file-'));
  try {
    step(`writing ${sizeMb} MiB of random bytes to a temporary file`);
    const path = join(dir, 'big.bin');
    const out = createWriteStream(path);
    for (let left = size; left > 0; left -= MiB) if (!out.write(randomBytes(Math.min(MiB, left)))) await once(out, 'drain');
    out.end();
    await once(out, 'finish');
    const sha256 = await sha256File(path);
    say(`${path}: ${size} bytes, sha256 ${sha256}`);

    step('Alice and Bob, and a conversation');
    const alice = await newUser(s.baseUrl, 'alice');
    const bob = await newUser(s.baseUrl, 'bob');
    const conv = await alice.hub.createConversation({ type: 'direct', members: [alice.username, bob.username] });
    say(`conversation ${conv.conversation_id}`);

    step('Alice uploads it');
    let parts = 0;
    let lastTenth = -1;
    const t0 = Date.now();
    const file = await uploadFile(alice.hub, path, {
      conversationId: conv.conversation_id,
      contentType: 'application/octet-stream',
      onProgress: (p) => {
        if (p.phase === 'uploading' && p.loaded > 0) parts++;
        const tenth = Math.floor((p.loaded / p.total) * 10);
        if (p.phase !== 'hashing' && tenth !== lastTenth) say(`${p.phase} ${Math.round((p.loaded / p.total) * 100)}%`);
        lastTenth = tenth;
      },
    });
    say(`stored as ${file.file_id} in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${parts} part(s)${parts > 1 ? ' (multipart)' : ''}`);
    if (file.sha256 !== sha256 || file.size !== size) throw new Error(`the hub recorded ${file.size} bytes, sha256 ${file.sha256}`);
    ok(`upload complete; the hub verified the SHA-256 (${parts > 1 ? 'multipart' : 'single PUT'})`);

    step('Alice sends it as a message; Bob receives it');
    const bobWs = bob.hub.connect();
    const received = bobWs.once('message');
    const { message_id } = await alice.hub.sendMessage({
      conversation_id: conv.conversation_id,
      from: alice.username,
      payload: { type: 'file', file_id: file.file_id, caption: 'the big one' },
    });
    const m = await received;
    bobWs.close();
    if (m.message_id !== message_id || m.payload.type !== 'file' || m.payload.file_id !== file.file_id)
      throw new Error(`Bob received something else: ${JSON.stringify(m)}`);
    ok(`Bob got message ${message_id} with file ${m.file?.filename ?? file.file_id} (${m.file?.size ?? '?'} bytes)`);

    step('Bob downloads it and checks the SHA-256');
    const meta = unwrap(await bob.hub.api.GET('/v1/files/{file_id}', { params: { path: { file_id: file.file_id } } }));
    if (!meta.download) throw new Error(`the file is ${meta.status}, no download link`);
    const res = await fetch(meta.download.url);
    if (!res.ok || !res.body) throw new Error(`download answered ${res.status}`);
    const target = join(dir, 'downloaded.bin');
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(target));
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(target)) hash.update(chunk as Buffer);
    const got = hash.digest('hex');
    say(`downloaded sha256 ${got}`);
    if (got !== sha256) throw new Error(`checksum mismatch: uploaded ${sha256}, downloaded ${got}`);
    ok('checksum matches');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
