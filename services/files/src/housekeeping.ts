import type { Logger, ObjectStore } from '@hub/platform';
import { ObjectKeys, type FileService } from './file-service';
import type { FilesMetrics } from './files-metrics';
import type { FileRecord, FileRepository } from './ports/file-repository';

export interface HousekeepingDeps {
  files: FileRepository;
  objects: ObjectStore;
  service: Pick<FileService, 'publishCompleted'>;
  logger: Logger;
  metrics: FilesMetrics;
  /** Uploads not completed within this long are removed. */
  abandonedAfterMs: number;
  intervalMs: number;
  now?: () => Date;
}

export interface HousekeepingReport {
  removedUploads: number;
  abortedMultipart: number;
  removedStrays: number;
  republished: number;
}

const BATCH = 100;
/** A complete publishes its own event; only events older than this are assumed lost. */
const REPUBLISH_GRACE_MS = 30_000;

/**
 * The files service's background worker. Each pass:
 * - removes uploads never completed within the configured time (and failed
 *   ones past it): the server-side multipart upload is aborted, objects and
 *   metadata deleted;
 * - aborts multipart uploads on the server that no metadata explains any
 *   more (a crash between starting one and recording it);
 * - deletes single-PUT objects written after their file completed or failed
 *   (a client re-using a still-valid upload URL);
 * - re-publishes FileEvents the broker did not acknowledge.
 * Every step is conditional or idempotent, so several replicas may run it.
 */
export class Housekeeping {
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<unknown> | undefined;
  private stopped = false;
  private readonly now: () => Date;

  constructor(private readonly d: HousekeepingDeps) {
    this.now = d.now ?? (() => new Date());
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  /** Stops scheduling and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pass;
  }

  async runOnce(): Promise<HousekeepingReport> {
    const report: HousekeepingReport = { removedUploads: 0, abortedMultipart: 0, removedStrays: 0, republished: 0 };
    const cutoff = new Date(this.now().getTime() - this.d.abandonedAfterMs);
    await this.step('abandoned uploads', () => this.removeAbandoned(cutoff, report));
    await this.step('unrecorded multipart uploads', () => this.abortUnrecorded(cutoff, report));
    await this.step('stray upload objects', () => this.removeStrays(report));
    await this.step('unpublished events', () => this.republish(report));
    if (report.removedUploads + report.abortedMultipart + report.removedStrays + report.republished > 0)
      this.d.logger.info({ ...report }, 'housekeeping pass');
    return report;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.pass = this.runOnce().finally(() => {
        this.pass = undefined;
        this.schedule();
      });
    }, this.d.intervalMs);
    this.timer.unref();
  }

  private async step(name: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      // The next pass retries; one failing store must not stop the other steps.
      this.d.metrics.housekeepingErrors.inc();
      this.d.logger.warn({ step: name, err: { message: (err as Error).message } }, 'housekeeping step failed');
    }
  }

  private async removeAbandoned(cutoff: Date, report: HousekeepingReport): Promise<void> {
    for (;;) {
      const batch = await this.d.files.findAbandoned(cutoff, BATCH);
      for (const rec of batch) {
        // Claimed first, so a complete racing with this removal either wins (and the file stays) or finds it gone.
        if (!(await this.d.files.claimAbandoned(rec.file_id, rec.status))) {
          // Completed or failed meanwhile: reading it brings the record up to date, so it is not listed again.
          await this.d.files.get(rec.file_id);
          continue;
        }
        await this.removeUpload(rec);
        await this.d.files.remove(rec.file_id);
        report.removedUploads++;
        this.d.metrics.housekeepingRemoved.inc({ what: 'upload' });
        this.d.logger.info(
          { file_id: rec.file_id, status: rec.status, created_at: rec.created_at.toISOString() },
          'abandoned upload removed',
        );
      }
      if (batch.length < BATCH || this.stopped) return;
    }
  }

  private async removeUpload(rec: FileRecord): Promise<void> {
    if (rec.upload.mode === 'multipart' && rec.status === 'uploading') {
      await this.d.objects.abortMultipart(rec.upload.key, rec.upload.upload_id).catch((err: { code?: string }) => {
        if (err.code !== 'NoSuchUpload') throw err;
      });
    }
    await this.d.objects.remove(rec.upload.key);
    for (const key of await this.d.objects.list(ObjectKeys.fileDir(rec.file_id))) await this.d.objects.remove(key);
  }

  private async abortUnrecorded(cutoff: Date, report: HousekeepingReport): Promise<void> {
    for (const u of await this.d.objects.listIncompleteUploads(ObjectKeys.files)) {
      if (u.initiated >= cutoff) continue;
      await this.d.objects.abortMultipart(u.key, u.uploadId).catch((err: { code?: string }) => {
        if (err.code !== 'NoSuchUpload') throw err;
      });
      report.abortedMultipart++;
      this.d.metrics.housekeepingRemoved.inc({ what: 'multipart' });
    }
  }

  private async removeStrays(report: HousekeepingReport): Promise<void> {
    // uploads/ only holds uploads in flight, so this listing stays short.
    for (const key of await this.d.objects.list(ObjectKeys.uploads)) {
      const rec = await this.d.files.get(key.slice(ObjectKeys.uploads.length));
      if (rec?.status === 'uploading') continue;
      await this.d.objects.remove(key);
      report.removedStrays++;
      this.d.metrics.housekeepingRemoved.inc({ what: 'stray' });
    }
  }

  private async republish(report: HousekeepingReport): Promise<void> {
    const cutoff = new Date(this.now().getTime() - REPUBLISH_GRACE_MS);
    for (const rec of await this.d.files.findUnpublished(cutoff, BATCH)) {
      await this.d.service.publishCompleted(rec);
      report.republished++;
    }
  }
}
