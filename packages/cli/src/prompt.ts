import { createInterface } from 'node:readline';
import { UsageError } from './errors.js';

/** Reads a secret from stdin: one line when piped; typed at a terminal, without echo. */
export async function readSecret(prompt: string): Promise<string> {
  const tty = Boolean(process.stdin.isTTY);
  const rl = createInterface({ input: process.stdin, output: tty ? process.stderr : undefined, terminal: tty });
  if (tty) {
    process.stderr.write(prompt);
    // readline echoes what is typed through this method; a secret must not appear on screen.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  }
  const line = await new Promise<string | undefined>((resolve) => {
    rl.once('line', resolve);
    rl.once('close', () => resolve(undefined));
  });
  rl.close();
  if (tty) process.stderr.write('\n');
  if (!line?.trim()) throw new UsageError(`no ${prompt.replace(/:\s*$/, '')} given (option, environment variable, or stdin)`);
  return line.trim();
}
