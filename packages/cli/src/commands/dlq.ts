import type { Command } from 'commander';
import { unwrap } from '@hub/sdk';
import type { Context } from '../context.js';
import { table } from '../output.js';
import { intOption } from './options.js';

export function registerDlq(program: Command, ctx: () => Context): void {
  const dlq = program.command('dlq').description('dead letters: deliveries that failed for good (admin)');

  dlq
    .command('list')
    .description('dead letters, newest first')
    .option('--channel <channel>')
    .option('--limit <n>', 'how many', intOption)
    .option('--before <cursor>', 'the next page (next_cursor of the previous one)')
    .option('--include-replayed', 'also those already replayed')
    .action(async (o: { channel?: string; limit?: number; before?: string; includeReplayed?: boolean }) => {
      const c = ctx();
      const hub = await c.client();
      const query = {
        ...(o.channel ? { channel: o.channel as 'telegram' } : {}),
        ...(o.limit ? { limit: o.limit } : {}),
        ...(o.before ? { before: o.before } : {}),
        ...(o.includeReplayed ? { include_replayed: 'true' as const } : {}),
      };
      const page = unwrap(await hub.api.GET('/v1/dlq', { params: { query } }));
      c.out.result(page, () => [
        ...table(
          ['ID', 'MESSAGE', 'RECIPIENT', 'CHANNEL', 'REASON', 'ATTEMPTS', 'FAILED', 'REPLAYED'],
          page.dead_letters.map((d) => [d.id, d.message_id, d.recipient, d.channel, d.reason, d.attempts, d.failed_at, d.replayed_at]),
        ),
        ...(page.next_cursor ? [`(more: --before ${page.next_cursor})`] : []),
        ...(page.dead_letters.length === 0 ? ['no dead letters'] : []),
      ]);
    });

  dlq
    .command('replay')
    .description('deliver a dead letter again')
    .argument('<id>')
    .action(async (id: string) => {
      const c = ctx();
      const r = unwrap(await (await c.client()).api.POST('/v1/dlq/{id}/replay', { params: { path: { id } } }));
      c.out.result(
        r,
        () =>
          `${r.replay === 'started' ? 'replay started' : 'replay was already requested'} for ${r.dead_letter.message_id} → ${r.dead_letter.recipient} via ${r.dead_letter.channel}`,
      );
    });
}
