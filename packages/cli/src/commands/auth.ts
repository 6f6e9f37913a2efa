import type { Command } from 'commander';
import { HubProblemError } from '@hub/sdk';
import type { Context } from '../context.js';
import { ExitCode, UsageError } from '../errors.js';
import { readSecret } from '../prompt.js';

export function registerAuth(program: Command, ctx: () => Context): void {
  program
    .command('login')
    .description(
      'log in and keep the session in the config file: an API client (--client-id, secret from --client-secret, HUB_CLIENT_SECRET or stdin) or a user (--username, password from --password, HUB_PASSWORD or stdin)',
    )
    .option('--client-id <id>', 'API client id (client_credentials)')
    .option('--client-secret <secret>', 'API client secret (prefer HUB_CLIENT_SECRET or stdin: arguments are visible to other local users)')
    .option('-u, --username <name>', 'user name (password grant)')
    .option('--password <password>', 'password (prefer HUB_PASSWORD or stdin)')
    .action(async (o: { clientId?: string; clientSecret?: string; username?: string; password?: string }) => {
      const c = ctx();
      if (Boolean(o.clientId) === Boolean(o.username)) throw new UsageError('give either --client-id (API client) or --username (user)');
      const hub = c.anonymousClient();
      const baseUrl = c.baseUrl;
      // A new login replaces the old session in the file.
      c.saveConfig({ base_url: baseUrl });
      try {
        if (o.clientId) {
          const secret = o.clientSecret ?? c.env.HUB_CLIENT_SECRET ?? (await readSecret('client secret: '));
          await hub.loginWithClientCredentials(o.clientId, secret);
          c.saveConfig({ ...c.config, base_url: baseUrl, login: { kind: 'client', client_id: o.clientId, client_secret: secret } });
        } else {
          const password = o.password ?? c.env.HUB_PASSWORD ?? (await readSecret('password: '));
          await hub.loginWithPassword(o.username!, password);
          c.saveConfig({ ...c.config, base_url: baseUrl, login: { kind: 'user', username: o.username! } });
        }
      } catch (err) {
        // The token endpoint refuses bad credentials with 400 invalid_grant or 401 invalid_client: both are an authentication failure.
        if (err instanceof HubProblemError && (err.status === 400 || err.status === 401))
          throw Object.assign(err, { exitCode: ExitCode.auth });
        throw err;
      }
      const me = await hub.me();
      c.out.result(
        { base_url: baseUrl, principal: me, config_file: c.configFile },
        () => `logged in to ${baseUrl} as ${describePrincipal(me)} (session kept in ${c.configFile})`,
      );
    });

  program
    .command('logout')
    .description('revoke the session on the hub and forget it')
    .action(async () => {
      const c = ctx();
      const config = c.config;
      if (config.login) {
        const hub = await c.client().catch(() => undefined);
        await hub?.logout().catch(() => undefined);
      }
      c.saveConfig({ ...(config.base_url ? { base_url: config.base_url } : {}) });
      c.out.result({ logged_out: true }, () => 'logged out');
    });

  program
    .command('whoami')
    .description('who the stored session is')
    .action(async () => {
      const c = ctx();
      const me = await (await c.client()).me();
      c.out.result(me, () => `${describePrincipal(me)} at ${c.baseUrl}`);
    });
}

export function describePrincipal(p: { kind: string; subject: string; scopes: string[] }): string {
  const who = p.kind === 'client' ? `API client ${p.subject}` : `user ${p.subject}`;
  return p.scopes.length ? `${who} (scopes: ${p.scopes.join(' ')})` : who;
}
