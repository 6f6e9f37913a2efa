// @hub/sdk/node: helpers that need Node (files on disk). The core entry stays browser-safe.
import { createReadStream, openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { HubClient, Schemas } from './client.js';
import { sha256Hex, upload, type UploadOptions, type UploadSource } from './upload.js';

/** A file on disk as an upload source: hashed from a read stream, parts read as file-backed Blobs (never the whole file in memory). */
export async function fileSource(path: string): Promise<UploadSource> {
  const { size } = await stat(path);
  const blob = await openAsBlob(path);
  return { size, stream: () => createReadStream(path), slice: (s, e) => blob.slice(s, e) };
}

/** SHA-256 (hex) of a file, streaming. */
export async function sha256File(path: string, opts: { signal?: AbortSignal } = {}): Promise<string> {
  return sha256Hex(createReadStream(path), opts);
}

/** Uploads a file from disk (filename defaults to its base name). */
export async function uploadFile(hub: HubClient, path: string, opts: Partial<UploadOptions> = {}): Promise<Schemas['File']> {
  return upload(hub, await fileSource(path), { filename: basename(path), ...opts });
}
