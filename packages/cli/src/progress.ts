import type { UploadProgress } from '@hub/sdk';

const WIDTH = 30;

/** A progress bar on stderr (redrawn in place on a terminal; a line per 10 % otherwise, so logs stay readable). */
export class ProgressBar {
  private lastTenth = -1;
  private lastPhase = '';
  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(phase: string, loaded: number, total: number): void {
    const ratio = total > 0 ? Math.min(1, loaded / total) : 1;
    const filled = Math.round(ratio * WIDTH);
    const line = `${this.label} ${phase.padEnd(10)} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${formatBytes(loaded)}/${formatBytes(total)}`;
    if (this.stream.isTTY) {
      this.stream.write(`\r${line}`);
      return;
    }
    const tenth = Math.floor(ratio * 10);
    if (phase !== this.lastPhase || tenth !== this.lastTenth) this.stream.write(`${line}\n`);
    this.lastPhase = phase;
    this.lastTenth = tenth;
  }

  /** The SDK's upload progress callback. */
  readonly onUpload = (p: UploadProgress): void => this.update(p.phase, p.loaded, p.total);

  done(): void {
    if (this.stream.isTTY) this.stream.write('\n');
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
