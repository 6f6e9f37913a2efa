import { z } from 'zod';
import { env } from '../config';

/** Token settings shared by every service that verifies access tokens. */
export const authConfigSchema = z.object({
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters (generate one with: openssl rand -base64 48)'),
  JWT_ISSUER: z.string().min(1).default('messaging-hub'),
  ACCESS_TOKEN_TTL_S: env.positiveInt(3600),
});
