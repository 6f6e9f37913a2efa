import { connectorsConfigSchema } from '@hub/connectors';
import { outboundConfigSchema } from '@hub/outbound';
import { z } from 'zod';

/** Settings of external delivery, merged into the router's config schema. */
export const routerOutboundConfigSchema = connectorsConfigSchema.extend(outboundConfigSchema.shape).extend({
  /** Lifetime of the download links sent for files on external channels (seconds; at most 7 days with S3 signatures). */
  EXTERNAL_FILE_LINK_TTL_S: z.coerce.number().int().min(60).max(604_800).default(86_400),
});
export type RouterOutboundConfig = z.infer<typeof routerOutboundConfigSchema>;
