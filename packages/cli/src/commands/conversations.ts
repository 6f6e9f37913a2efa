import { Option, type Command } from 'commander';
import { unwrap } from '@hub/sdk';
import type { Context } from '../context.js';
import { table } from '../output.js';
import { intOption } from './options.js';

export function registerConversations(program: Command, ctx: () => Context): void {
  const conv = program.command('conversations').alias('conv').description('list and create conversations');

  conv
    .command('list')
    .description("your conversations (an API client: a user's, with --username)")
    .option('--username <name>', "list this user's conversations (API clients)")
    .option('--limit <n>', 'how many', intOption)
    .option('--cursor <cursor>', 'the next page (next_cursor of the previous one)')
    .action(async (o: { username?: string; limit?: number; cursor?: string }) => {
      const c = ctx();
      const hub = await c.client();
      const page = unwrap(
        await hub.api.GET('/v1/conversations', {
          params: {
            query: {
              ...(o.username ? { username: o.username } : {}),
              ...(o.limit ? { limit: o.limit } : {}),
              ...(o.cursor ? { cursor: o.cursor } : {}),
            },
          },
        }),
      );
      c.out.result(page, () => [
        ...table(
          ['ID', 'TYPE', 'NAME', 'MEMBERS', 'CREATED'],
          page.conversations.map((x) => [x.conversation_id, x.type, x.name, x.members.join(','), x.created_at]),
        ),
        ...(page.next_cursor ? [`(more: --cursor ${page.next_cursor})`] : []),
      ]);
    });

  conv
    .command('create')
    .description('create a conversation (a direct one that exists is returned as it is)')
    .argument('<members...>', 'usernames')
    .addOption(new Option('--type <type>', 'direct (two members) or group').choices(['direct', 'group']))
    .option('--name <name>', 'display name of a group')
    .action(async (members: string[], o: { type?: 'direct' | 'group'; name?: string }) => {
      const c = ctx();
      const hub = await c.client();
      const type = o.type ?? (members.length === 2 && !o.name ? 'direct' : 'group');
      const created = await hub.createConversation({ type, members, ...(o.name ? { name: o.name } : {}) });
      c.out.result(created, () => `${created.conversation_id}  ${created.type}  ${created.members.join(',')}`);
    });
}
