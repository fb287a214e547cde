import { z } from 'zod';
import { parseInput } from '../lib/errors';
import { registerSchema } from './inputs';
import type { CustomersService } from './service';

/**
 * The first admin never comes from a public mutation: only from the environment at customers start
 * (ADMIN_EMAIL + ADMIN_PASSWORD, optional ADMIN_NAME) or from `npm run create-admin`.
 */
export interface AdminSeed {
  email: string;
  password: string;
  name: string;
}

export const adminEnvSchema = z.object({
  ADMIN_EMAIL: z.string().optional(),
  ADMIN_PASSWORD: z.string().optional(),
  ADMIN_NAME: z.string().default('Administrator'),
});

/** The admin described by the environment, if any; both email and password or neither. */
export function adminFromEnv(env: z.infer<typeof adminEnvSchema>): AdminSeed | undefined {
  if (!env.ADMIN_EMAIL && !env.ADMIN_PASSWORD) return undefined;
  if (!env.ADMIN_EMAIL || !env.ADMIN_PASSWORD) throw new Error('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  return { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD, name: env.ADMIN_NAME };
}

/** Validates with the same rules as registration (password policy included), then creates or promotes. */
export async function bootstrapAdmin(service: CustomersService, seed: AdminSeed) {
  const valid = parseInput(registerSchema, seed);
  const result = await service.ensureAdmin(valid);
  return { email: valid.email, ...result };
}
