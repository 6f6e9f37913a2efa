/** Human output on stdout (tables, lines), or one JSON document per command (`--json`; JSON lines for streams). Progress and errors go to stderr. */
export class Output {
  constructor(readonly json: boolean) {}

  /** The command's result: `data` as JSON, or `human()`'s lines. */
  result(data: unknown, human: () => string | string[]): void {
    if (this.json) {
      process.stdout.write(`${JSON.stringify(data)}\n`);
      return;
    }
    const text = human();
    const lines = Array.isArray(text) ? text : [text];
    if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
  }

  /** One item of a stream (tail): a JSON line, or a human line. */
  event(data: unknown, human: string): void {
    process.stdout.write(this.json ? `${JSON.stringify(data)}\n` : `${human}\n`);
  }

  /** Side remarks (never in the way of --json on stdout). */
  note(text: string): void {
    process.stderr.write(`${text}\n`);
  }
}

/** Rows as aligned columns under a header. */
export function table(header: string[], rows: (string | number | undefined)[][]): string[] {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === undefined ? '' : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : (c ?? '').padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}
