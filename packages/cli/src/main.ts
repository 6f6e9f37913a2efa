import { Command, CommanderError } from 'commander';
import { registerAuth } from './commands/auth.js';
import { registerConversations } from './commands/conversations.js';
import { registerDlq } from './commands/dlq.js';
import { registerFiles } from './commands/files.js';
import { registerMessages } from './commands/messages.js';
import { registerWebhooks } from './commands/webhooks.js';
import { Context, type GlobalOptions } from './context.js';
import { describeError, ExitCode } from './errors.js';

const EXIT_CODES_HELP = `
Exit codes: 0 ok, 1 usage, 2 API refusal (4xx), 3 server error (5xx), hub unreachable or network, 4 authentication (not logged in, bad credentials, 401/403).
Config: $XDG_CONFIG_HOME/hub/config.json (0600). Base URL: --base-url, then HUB_URL, then the config file, then http://127.0.0.1:8080.`;

export function buildProgram(): Command {
  const program = new Command('hub')
    .description('the messaging hub from the command line')
    .option('--base-url <url>', 'the hub (default: HUB_URL, the logged-in hub, or http://127.0.0.1:8080)')
    .option('--json', 'machine-readable output: one JSON document per command (JSON lines for tail)')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const ctx = () => new Context(program.opts<GlobalOptions>());
  registerAuth(program, ctx);
  registerMessages(program, ctx);
  registerConversations(program, ctx);
  registerWebhooks(program, ctx);
  registerDlq(program, ctx);
  registerFiles(program, ctx);
  // Subcommands exit through the same path as the program (no process.exit inside commander).
  for (const cmd of allCommands(program)) cmd.exitOverride();
  return program;
}

function allCommands(c: Command): Command[] {
  return c.commands.flatMap((sub) => [sub, ...allCommands(sub)]);
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with code 0; commander already printed the message.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const json = Boolean(program.opts<GlobalOptions>().json);
    const withCode = err as { exitCode?: number; code?: string };
    const described = describeError(err);
    const { lines, json: doc } = described;
    let code = described.code;
    if (typeof withCode.exitCode === 'number') code = withCode.exitCode;
    // Local files that cannot be read or written are the caller's to fix.
    if (withCode.code === 'ENOENT' || withCode.code === 'EACCES' || withCode.code === 'EISDIR') code = ExitCode.usage;
    process.stderr.write(`${lines.join('\n')}\n`);
    if (json) process.stdout.write(`${JSON.stringify({ ...doc, exit_code: code })}\n`);
    return code;
  }
}
