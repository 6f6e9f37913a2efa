import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { HubNetworkError, problemFromResponse, unwrap, type HubClient } from '@hub/sdk';
import { uploadFile } from '@hub/sdk/node';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { ProgressBar } from '../progress.js';

export function registerFiles(program: Command, ctx: () => Context): void {
  const files = program.command('files').description('upload and download files');

  files
    .command('upload')
    .description('upload a file (parts in parallel when large; SHA-256 checked by the hub); progress on stderr')
    .argument('<path>')
    .option('--conversation <id>', 'share it in this conversation')
    .option('--content-type <type>', 'default application/octet-stream')
    .option('--name <filename>', 'file name to record (default: the base name of the path)')
    .action(async (path: string, o: { conversation?: string; contentType?: string; name?: string }) => {
      const c = ctx();
      if (!existsSync(path)) throw new UsageError(`no such file: ${path}`);
      const hub = await c.client();
      const bar = new ProgressBar('upload');
      const file = await uploadFile(hub, path, {
        onProgress: bar.onUpload,
        ...(o.conversation ? { conversationId: o.conversation } : {}),
        ...(o.contentType ? { contentType: o.contentType } : {}),
        ...(o.name ? { filename: o.name } : {}),
      });
      bar.done();
      c.out.result(file, () => `${file.file_id}  ${file.filename}  ${file.size} bytes  sha256 ${file.sha256}`);
    });

  files
    .command('download')
    .description('download a file and check its SHA-256')
    .argument('<file_id>')
    .option('-o, --output <path>', 'where to write it (default: its file name in the current folder)')
    .option('--force', 'overwrite an existing file')
    .action(async (fileId: string, o: { output?: string; force?: boolean }) => {
      const c = ctx();
      const hub = await c.client();
      const result = await download(hub, fileId, o.output, Boolean(o.force));
      c.out.result(result, () => `saved ${result.path} (${result.size} bytes, sha256 ${result.sha256} verified)`);
    });
}

/** Streams the file to a temporary name next to the target, hashing on the way; renamed only when size and SHA-256 match. */
export async function download(
  hub: HubClient,
  fileId: string,
  output: string | undefined,
  force: boolean,
): Promise<{ file_id: string; path: string; size: number; sha256: string }> {
  const meta = unwrap(await hub.api.GET('/v1/files/{file_id}', { params: { path: { file_id: fileId } } }));
  if (!meta.download) throw new UsageError(`file ${fileId} is ${meta.status}, not downloadable`, 2);
  // The recorded name comes from whoever uploaded it: keep only its last path segment.
  const path = output ?? (basename(meta.filename) || fileId);
  if (existsSync(path) && !force) throw new UsageError(`${path} exists (use --force to overwrite, or -o)`);
  let res: Response;
  try {
    res = await fetch(meta.download.url);
  } catch (err) {
    throw new HubNetworkError(`download failed: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok || !res.body) throw await problemFromResponse(res);
  const bar = new ProgressBar('download');
  const hash = createHash('sha256');
  let got = 0;
  const tmp = `${path}.part-${process.pid}`;
  const count = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      got += chunk.length;
      bar.update('receiving', got, meta.size);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), count, createWriteStream(tmp, { mode: 0o600 }));
    bar.done();
    const sha256 = hash.digest('hex');
    if (got !== meta.size || sha256 !== meta.sha256)
      throw new UsageError(
        `the download does not match the file: ${got} bytes, sha256 ${sha256}; expected ${meta.size} bytes, sha256 ${meta.sha256}`,
        3,
      );
    await rename(tmp, path);
    return { file_id: fileId, path, size: got, sha256 };
  } finally {
    await rm(tmp, { force: true });
  }
}
