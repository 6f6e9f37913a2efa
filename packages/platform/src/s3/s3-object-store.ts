import { Client, CopyDestinationOptions, CopySourceOptions } from 'minio';
import type { Readable } from 'node:stream';
import type { HealthCheck } from '../health';
import type { IncompleteUpload, ObjectStore } from './object-store';

export interface S3Settings {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
  bucket: string;
  /**
   * Where clients outside the hub reach the same S3 server (browsers,
   * Telegram), used only for presigned URLs; unset, the endpoint above.
   */
  publicEndpoint?: string;
}

function s3Client(endpoint: string, s: S3Settings): Client {
  const url = new URL(endpoint);
  return new Client({
    endPoint: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
    useSSL: url.protocol === 'https:',
    accessKey: s.accessKey,
    secretKey: s.secretKey,
    region: s.region,
    pathStyle: true,
  });
}

/** Adapter: ObjectStore on any S3 API server (MinIO, versitygw, AWS) through the `minio` client. */
export class S3ObjectStore implements ObjectStore {
  readonly client: Client;
  readonly bucket: string;
  private readonly region: string;
  /**
   * Signs presigned URLs for the public endpoint. SigV4 signs the Host
   * header, so a URL signed for the internal host and rewritten afterwards
   * would be refused; this client signs for the public host directly. It
   * never connects: with the region given, presigning is computed locally.
   */
  private readonly presigner: Client;

  constructor(s: S3Settings) {
    this.client = s3Client(s.endpoint, s);
    this.presigner = s.publicEndpoint ? s3Client(s.publicEndpoint, s) : this.client;
    this.bucket = s.bucket;
    this.region = s.region;
  }

  async ensureBucket(): Promise<void> {
    if (await this.client.bucketExists(this.bucket)) return;
    try {
      await this.client.makeBucket(this.bucket, this.region);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw err;
    }
  }

  presignPut(key: string, expirySeconds: number): Promise<string> {
    return this.presigner.presignedPutObject(this.bucket, key, expirySeconds);
  }

  presignGet(key: string, expirySeconds: number, opts: { downloadName?: string; contentType?: string } = {}): Promise<string> {
    const resp: Record<string, string> = {};
    if (opts.downloadName) resp['response-content-disposition'] = contentDisposition(opts.downloadName);
    if (opts.contentType) resp['response-content-type'] = opts.contentType;
    return this.presigner.presignedGetObject(this.bucket, key, expirySeconds, resp);
  }

  startMultipart(key: string, contentType?: string): Promise<string> {
    return this.client.initiateNewMultipartUpload(this.bucket, key, contentType ? { 'Content-Type': contentType } : {});
  }

  presignPart(key: string, uploadId: string, partNumber: number, expirySeconds: number): Promise<string> {
    return this.presigner.presignedUrl('PUT', this.bucket, key, expirySeconds, { partNumber: String(partNumber), uploadId });
  }

  async completeMultipart(key: string, uploadId: string, parts: Array<{ partNumber: number; etag: string }>): Promise<void> {
    await this.client.completeMultipartUpload(
      this.bucket,
      key,
      uploadId,
      parts.map((p) => ({ part: p.partNumber, etag: p.etag.replace(/"/g, '') })),
    );
  }

  abortMultipart(key: string, uploadId: string): Promise<void> {
    return this.client.abortMultipartUpload(this.bucket, key, uploadId);
  }

  async stat(key: string): Promise<{ size: number; etag: string; contentType?: string } | undefined> {
    try {
      const st = await this.client.statObject(this.bucket, key);
      return { size: st.size, etag: st.etag, contentType: st.metaData?.['content-type'] as string | undefined };
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'NotFound' || code === 'NoSuchKey') return undefined;
      throw err;
    }
  }

  read(key: string): Promise<Readable> {
    return this.client.getObject(this.bucket, key);
  }

  remove(key: string): Promise<void> {
    return this.client.removeObject(this.bucket, key);
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    await this.client.copyObject(
      new CopySourceOptions({ Bucket: this.bucket, Object: fromKey }),
      new CopyDestinationOptions({ Bucket: this.bucket, Object: toKey }),
    );
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const item of this.client.listObjectsV2(this.bucket, prefix, true)) {
      if (item.name) keys.push(item.name);
    }
    return keys;
  }

  async listIncompleteUploads(prefix: string): Promise<IncompleteUpload[]> {
    const out: IncompleteUpload[] = [];
    let keyMarker = '';
    let uploadIdMarker = '';
    // Paged by hand: the client's stream variant also lists every upload's parts, which housekeeping does not need.
    for (;;) {
      const page = await this.client.listIncompleteUploadsQuery(this.bucket, prefix, keyMarker, uploadIdMarker, '');
      for (const u of page.uploads) out.push({ key: u.key, uploadId: u.uploadId, initiated: new Date(u.initiated) });
      if (!page.isTruncated) return out;
      keyMarker = page.nextKeyMarker;
      uploadIdMarker = page.nextUploadIdMarker;
    }
  }

  healthCheck(): HealthCheck {
    return {
      name: 's3',
      check: async () => {
        if (!(await this.client.bucketExists(this.bucket))) throw new Error(`bucket ${this.bucket} does not exist`);
      },
    };
  }
}

/** RFC 6266 with an ASCII fallback, so any filename survives the header. */
export function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
