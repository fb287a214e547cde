import { z } from 'zod';
import { PASSWORD_MAX_LENGTH, passwordProblems } from './password';

/** Zod schemas for every argument the customers subgraph accepts (read via parseInput in resolvers). */

export const emailSchema = z.string().trim().toLowerCase().max(254).pipe(z.email({ message: 'must be a valid email address' }));
const nameSchema = z.string().trim().min(1, 'must not be empty').max(100);
/** Login accepts anything bounded: a policy change must not lock out existing passwords. */
const anyPassword = z.string().min(1, 'must not be empty').max(PASSWORD_MAX_LENGTH);

function checkPolicy(password: string, email: string, path: string, ctx: z.RefinementCtx) {
  for (const message of passwordProblems(password, email)) ctx.addIssue({ code: 'custom', path: [path], message });
}

export const registerSchema = z
  .object({ email: emailSchema, password: z.string(), name: nameSchema })
  .superRefine((v, ctx) => checkPolicy(v.password, v.email, 'password', ctx));

export const loginSchema = z.object({ email: emailSchema, password: anyPassword });
export const refreshTokenSchema = z.object({ refreshToken: z.string().min(1).max(200) });
export const updateProfileSchema = z.object({ name: nameSchema });
export const changePasswordSchema = z.object({ currentPassword: anyPassword, newPassword: z.string() });

const required = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);
/** Optional text: omitted keeps the value (on update), null or "" clears it. */
const optional = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .nullish()
    .transform((v) => (v === undefined ? undefined : v || null));
const country = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code, e.g. US');

export const addressFields = {
  name: optional(100),
  line1: required(200),
  line2: optional(200),
  city: required(100),
  postalCode: required(20),
  region: optional(100),
  country,
};
export const addAddressSchema = z.object({ ...addressFields, setAsDefault: z.boolean().nullish() });
export const updateAddressSchema = z.object({
  name: addressFields.name,
  line1: addressFields.line1.optional(),
  line2: addressFields.line2,
  city: addressFields.city.optional(),
  postalCode: addressFields.postalCode.optional(),
  region: addressFields.region,
  country: addressFields.country.optional(),
});
export type AddAddressInput = z.infer<typeof addAddressSchema>;
export type UpdateAddressInput = z.infer<typeof updateAddressSchema>;

export const idSchema = z.string().trim().min(1).max(64);

/** `customers(search)`; its page arguments are lib/pagination's. */
export const customerSearchSchema = z.object({ search: z.string().trim().max(100).nullish() });
export type CustomerSearch = z.infer<typeof customerSearchSchema>;
