import type { Command } from 'commander';
import { unwrap } from '@hub/sdk';
import type { Context } from '../context.js';
import { table } from '../output.js';
import { intOption } from './options.js';

export function registerWebhooks(program: Command, ctx: () => Context): void {
  const hooks = program.command('webhooks').description('webhook endpoints of the logged-in API client');

  hooks
    .command('add')
    .description('register an endpoint; the signing secret is shown once')
    .argument('<url>')
    .option('-e, --events <types...>', 'event types (message.sent, message.delivered, …, file.completed, or *)', ['*'])
    .option('--description <text>')
    .action(async (url: string, o: { events: string[]; description?: string }) => {
      const c = ctx();
      const hub = await c.client();
      const created = unwrap(
        await hub.api.POST('/v1/webhooks', {
          body: { url, events: o.events as never, ...(o.description ? { description: o.description } : {}) },
        }),
      );
      c.out.result(created, () => [
        `${created.webhook_id}  ${created.url}  events: ${created.events.join(',')}`,
        `secret: ${created.secret}   (shown only now: keep it to verify calls)`,
      ]);
    });

  hooks
    .command('list')
    .description('registered endpoints')
    .action(async () => {
      const c = ctx();
      const { webhooks } = unwrap(await (await c.client()).api.GET('/v1/webhooks'));
      c.out.result({ webhooks }, () =>
        table(
          ['ID', 'URL', 'EVENTS', 'ACTIVE', 'FAILING SINCE'],
          webhooks.map((w) => [w.webhook_id, w.url, w.events.join(','), w.active ? 'yes' : 'no', w.failing_since]),
        ),
      );
    });

  hooks
    .command('deliveries')
    .description("an endpoint's delivery attempts, newest first")
    .argument('<webhook_id>')
    .option('--state <state>', 'pending, succeeded or failed')
    .option('--limit <n>', 'how many', intOption)
    .option('--cursor <cursor>')
    .action(async (id: string, o: { state?: string; limit?: number; cursor?: string }) => {
      const c = ctx();
      const hub = await c.client();
      const query = {
        ...(o.state ? { state: o.state as 'pending' } : {}),
        ...(o.limit ? { limit: o.limit } : {}),
        ...(o.cursor ? { cursor: o.cursor } : {}),
      };
      const page = unwrap(await hub.api.GET('/v1/webhooks/{id}/deliveries', { params: { path: { id }, query } }));
      c.out.result(page, () => [
        ...table(
          ['DELIVERY', 'EVENT', 'STATE', 'ATTEMPTS', 'LAST STATUS', 'CREATED', 'LAST ERROR'],
          page.deliveries.map((d) => [
            d.delivery_id,
            d.event_type,
            d.state,
            d.attempt_count,
            d.last_status_code,
            d.created_at,
            d.last_error,
          ]),
        ),
        ...(page.next_cursor ? [`(more: --cursor ${page.next_cursor})`] : []),
      ]);
    });

  hooks
    .command('rotate')
    .description('new signing secret (POST /v1/webhooks/{id}/rotate-secret); the old one keeps signing for the grace period')
    .argument('<webhook_id>')
    .option('--grace <seconds>', 'how long the old secret keeps signing (0: retire it now; default: the hub setting)', intOption)
    .action(async (id: string, o: { grace?: number }) => {
      const c = ctx();
      const hub = await c.client();
      const rotated = unwrap(
        await hub.api.POST('/v1/webhooks/{id}/rotate-secret', {
          params: { path: { id } },
          body: o.grace !== undefined ? { grace_period_s: o.grace } : {},
        }),
      );
      c.out.result(rotated, () => [
        `new secret: ${rotated.secret}`,
        rotated.previous_secret_expires_at
          ? `the previous secret also signs until ${rotated.previous_secret_expires_at}`
          : 'the previous secret is retired',
      ]);
    });
}
