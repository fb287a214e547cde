import { z } from 'zod';
import { port } from './env';

/**
 * Every setting the services share, read from the environment and validated once.
 * Development defaults let `npm start` run with no configuration; production refuses
 * the well-known development secrets.
 */
export const DEV_SECRET = 'dev-only-secret-change-me-0000000000';
/** The Stripe values stripe-mock is run with in development; none of them may reach production. */
export const DEV_STRIPE = { secretKey: 'sk_test_localmock', publishableKey: 'pk_test_mock_local', webhookSecret: 'whsec_local_development_secret' } as const;
/** Where a process looks for MongoDB and Redis when nothing is set: a developer's own machine. */
export const DEV_BACKING = { mongoUri: 'mongodb://127.0.0.1:27017', redisUrl: 'redis://127.0.0.1:6379' } as const;
/**
 * The seeded accounts' passwords, printed in the README (subgraphs/customers/seed.ts): production
 * refuses them as ADMIN_PASSWORD.
 */
export const DEV_PASSWORDS = { admin: 'admin-dev-password-123', customer: 'customer-dev-password-123' } as const;
/**
 * Secrets published in this repository: DEV_SECRET, docker-compose.yml's `change-me-…` values and
 * any other "change-me" placeholder. Whoever has read the repository could sign with them.
 */
const PUBLIC_SECRET = /change-?me/i;

/** "true"/"false"/"1"/"0", default false. */
const flag = z
  .enum(['true', 'false', '1', '0'])
  .default('false')
  .transform((v) => v === 'true' || v === '1');

const secret = z.string().min(32, 'must be at least 32 characters').default(DEV_SECRET);

export const baseEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /** Interface to listen on: 127.0.0.1 locally, 0.0.0.0 in containers. */
  HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info'),
  /** Production refuses the default (a local server): a process must be told where its data is. */
  MONGODB_URI: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// URI').default(DEV_BACKING.mongoUri),
  /** Each service's database is `${DB_PREFIX}${service}`: database-per-service on one server. */
  DB_PREFIX: z.string().regex(/^[a-zA-Z0-9_]*$/).default('commerce_'),
  /** Production refuses the default (a local server), like MONGODB_URI. */
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').default(DEV_BACKING.redisUrl),
  /**
   * BullMQ key prefix, so several stacks (or test files) can share one Redis. Each queue wraps it in
   * its own Redis Cluster hash tag ({<prefix>:<queue>}, lib/queues/keys.ts), so braces are refused.
   */
  QUEUE_PREFIX: z.string().min(1).regex(/^[^{}]+$/, 'must not contain { or } (each queue adds its own Redis Cluster hash tag)').default('commerce'),
  /** HMAC secret shared by the gateway and the subgraphs: subgraphs trust identity only when signed with it. */
  INTERNAL_SECRET: secret,
  /** Signs customer access tokens (issued by customers, verified by the gateway). */
  JWT_SECRET: secret,
  /** Sibling subgraph GraphQL URLs: the gateway routes to them; services call them for internal operations. */
  CUSTOMERS_URL: z.string().url().optional(),
  PRODUCTS_URL: z.string().url().optional(),
  ORDERS_URL: z.string().url().optional(),
  PAYMENTS_URL: z.string().url().optional(),
  /** Stripe: a real (test-mode) key, or stripe-mock's with STRIPE_API_HOST/PORT/PROTOCOL pointing at it. */
  STRIPE_SECRET_KEY: z.string().min(1).default(DEV_STRIPE.secretKey),
  STRIPE_PUBLISHABLE_KEY: z.string().min(1).default(DEV_STRIPE.publishableKey),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).default(DEV_STRIPE.webhookSecret),
  STRIPE_API_HOST: z.string().optional(),
  STRIPE_API_PORT: z.coerce.number().int().positive().optional(),
  STRIPE_API_PROTOCOL: z.enum(['http', 'https']).optional(),
  /**
   * Lets a signed-in customer mark their own payment paid (`simulatePaymentWebhook`): development
   * only, off unless set (npm start sets it); production refuses to start with it.
   */
  PAYMENT_SIMULATION: flag,
  /** Bearer token for GET /metrics. Without it /metrics is open in development and off in production. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * The first admin's password, read by customers (subgraphs/customers/admin.ts). Checked here so
   * every process refuses the seeded passwords in production, wherever the variable is set.
   */
  ADMIN_PASSWORD: z.string().optional(),
});

export type BaseEnv = z.infer<typeof baseEnvSchema>;

export const subgraphPorts = { customers: 4001, products: 4002, orders: 4003, payments: 4004 } as const;
export type SubgraphName = keyof typeof subgraphPorts;
export const SUBGRAPH_NAMES = Object.keys(subgraphPorts) as SubgraphName[];

/** Each worker process's /health, /ready and /metrics port. */
export const workerPorts = { products: 4012, orders: 4013, payments: 4014, analytics: 4015, notifications: 4016 } as const;

/** The environment of one process (a subgraph or a worker): the shared settings, its port, production refusals. */
export function processEnvSchema(defaultPort: number) {
  return baseEnvSchema.extend({ PORT: port(defaultPort) }).superRefine(refuseDevSecretsInProduction);
}

export const subgraphEnvSchema = (name: SubgraphName) => processEnvSchema(subgraphPorts[name]);

type DevDefault = { variable: keyof BaseEnv; reason: string };
/** The backing services a process connects to: production requires the address of each. */
export type BackingService = 'mongo' | 'redis';

/**
 * Each development default production refuses, and why; every refusal names its variable.
 * `uses`: the backing services the process connects to (the gateway has no database).
 */
export function developmentDefaultsIn(env: BaseEnv, uses: readonly BackingService[] = ['mongo', 'redis']): DevDefault[] {
  return [...backingDefaultsIn(env, uses), ...secretDefaultsIn(env), ...paymentDefaultsIn(env)];
}

function backingDefaultsIn(env: BaseEnv, uses: readonly BackingService[]): DevDefault[] {
  const found: DevDefault[] = [];
  // Unset falls back to a local server: in production that is a missing setting, not a choice.
  if (uses.includes('mongo') && env.MONGODB_URI === DEV_BACKING.mongoUri) found.push({ variable: 'MONGODB_URI', reason: `must be set in production (the default is a local development server, ${DEV_BACKING.mongoUri})` });
  if (uses.includes('redis') && env.REDIS_URL === DEV_BACKING.redisUrl) found.push({ variable: 'REDIS_URL', reason: `must be set in production (the default is a local development server, ${DEV_BACKING.redisUrl})` });
  return found;
}

function secretDefaultsIn(env: BaseEnv): DevDefault[] {
  const found: DevDefault[] = [];
  for (const key of ['INTERNAL_SECRET', 'JWT_SECRET'] as const) {
    if (env[key] === DEV_SECRET || PUBLIC_SECRET.test(env[key])) found.push({ variable: key, reason: 'must be set in production (this value is published in the repository: a "change-me" placeholder)' });
  }
  if (env.ADMIN_PASSWORD && (Object.values(DEV_PASSWORDS) as string[]).includes(env.ADMIN_PASSWORD)) found.push({ variable: 'ADMIN_PASSWORD', reason: 'must not be a seeded development password in production (the README prints it)' });
  return found;
}

function paymentDefaultsIn(env: BaseEnv): DevDefault[] {
  const found: DevDefault[] = [];
  if (env.STRIPE_SECRET_KEY === DEV_STRIPE.secretKey) found.push({ variable: 'STRIPE_SECRET_KEY', reason: 'must be set in production (the default is the stripe-mock key)' });
  if (env.STRIPE_PUBLISHABLE_KEY === DEV_STRIPE.publishableKey) found.push({ variable: 'STRIPE_PUBLISHABLE_KEY', reason: 'must be set in production (the default is the stripe-mock key)' });
  if (env.STRIPE_WEBHOOK_SECRET === DEV_STRIPE.webhookSecret) found.push({ variable: 'STRIPE_WEBHOOK_SECRET', reason: 'must be set in production (the default is public: anyone could sign webhooks)' });
  // A self-hosted Stripe API (a mock) is for tests and staging, with test-mode keys only.
  if (env.STRIPE_API_HOST && !env.STRIPE_SECRET_KEY.startsWith('sk_test_')) found.push({ variable: 'STRIPE_API_HOST', reason: 'may only point a test-mode key (sk_test_...) away from api.stripe.com' });
  if (env.PAYMENT_SIMULATION) found.push({ variable: 'PAYMENT_SIMULATION', reason: 'must be off in production (it lets customers mark their own payments paid)' });
  return found;
}

/** A superRefine for a process connecting to `uses`: in production, one issue per development default. */
export function refuseDevDefaultsInProduction(uses: readonly BackingService[]) {
  return (env: BaseEnv, ctx: z.RefinementCtx) => {
    if (env.NODE_ENV !== 'production') return;
    for (const { variable, reason } of developmentDefaultsIn(env, uses)) ctx.addIssue({ code: 'custom', path: [variable], message: reason });
  };
}

/** The refusals of a process using both MongoDB and Redis (every subgraph and worker). */
export const refuseDevSecretsInProduction = refuseDevDefaultsInProduction(['mongo', 'redis']);

/** Development defaults of the mail settings; production refuses each (see mailDefaultsIn). */
export const DEV_MAIL = { from: 'Federated Commerce <orders@commerce.localhost>', shopUrl: 'http://localhost:3000', smtpUrl: 'smtp://127.0.0.1:1025' } as const;

/**
 * What the notifications worker needs to send customer emails. SMTP_URL has no default in the
 * schema, so production can tell "not set" from a value: without it, development falls back to a
 * local Mailpit (npm start sets it), production refuses to start.
 */
export const mailEnvSchema = z.object({
  /** smtp://user:pass@host:587 (STARTTLS when offered) or smtps://host:465. */
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional(),
  /** The From header of every customer email, e.g. `Shop <orders@shop.example>`; its domain also names the Message-IDs. */
  MAIL_FROM: z.string().min(3).default(DEV_MAIL.from),
  /** The shop's name, as customers know it. */
  SHOP_NAME: z.string().min(1).default('Federated Commerce'),
  /** The storefront's base URL: emails link to `<SHOP_URL>/orders/<order number>`. */
  SHOP_URL: z.string().url().default(DEV_MAIL.shopUrl),
});
export type MailEnv = z.infer<typeof mailEnvSchema>;

/** The mail settings production refuses: a missing SMTP server, and the development sender and shop URL. */
export function mailDefaultsIn(env: MailEnv): Array<{ variable: keyof MailEnv; reason: string }> {
  const found: Array<{ variable: keyof MailEnv; reason: string }> = [];
  if (!env.SMTP_URL) found.push({ variable: 'SMTP_URL', reason: 'must be set in production (customer emails need a real SMTP server)' });
  if (env.MAIL_FROM === DEV_MAIL.from) found.push({ variable: 'MAIL_FROM', reason: 'must be set in production (the default sender is a development address)' });
  if (env.SHOP_URL === DEV_MAIL.shopUrl) found.push({ variable: 'SHOP_URL', reason: 'must be set in production (emails would link to localhost)' });
  return found;
}

export function refuseMailDefaultsInProduction(env: BaseEnv & MailEnv, ctx: z.RefinementCtx) {
  if (env.NODE_ENV !== 'production') return;
  for (const { variable, reason } of mailDefaultsIn(env)) ctx.addIssue({ code: 'custom', path: [variable], message: reason });
}

export interface MailConfig {
  smtpUrl: string;
  from: string;
  shopName: string;
  shopUrl: string;
}

export function mailConfigFromEnv(env: MailEnv): MailConfig {
  return { smtpUrl: env.SMTP_URL ?? DEV_MAIL.smtpUrl, from: env.MAIL_FROM, shopName: env.SHOP_NAME, shopUrl: env.SHOP_URL.replace(/\/+$/, '') };
}

/** What every service factory needs; tests build it directly instead of going through the environment. */
export interface ServiceConfig {
  nodeEnv: BaseEnv['NODE_ENV'];
  logLevel: BaseEnv['LOG_LEVEL'];
  host: string;
  mongoUri: string;
  dbPrefix: string;
  redisUrl: string;
  queuePrefix: string;
  internalSecret: string;
  jwtSecret: string;
  port: number;
  /** GraphQL URL of each subgraph (for internal service-to-service calls and the gateway's routing). */
  peers: Record<SubgraphName, string>;
  stripe: StripeConfig;
  /** simulatePaymentWebhook is available (development only; see PAYMENT_SIMULATION). */
  paymentSimulation?: boolean;
  /** Bearer token for GET /metrics (see METRICS_TOKEN). */
  metricsToken?: string;
}

export interface StripeConfig {
  secretKey: string;
  publishableKey: string;
  webhookSecret: string;
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
}

export function peersFromEnv(env: BaseEnv): Record<SubgraphName, string> {
  const url = (name: SubgraphName) => env[`${name.toUpperCase()}_URL` as 'CUSTOMERS_URL'] ?? `http://localhost:${subgraphPorts[name]}/graphql`;
  return { customers: url('customers'), products: url('products'), orders: url('orders'), payments: url('payments') };
}

export function stripeFromEnv(env: BaseEnv): StripeConfig {
  return {
    secretKey: env.STRIPE_SECRET_KEY,
    publishableKey: env.STRIPE_PUBLISHABLE_KEY,
    webhookSecret: env.STRIPE_WEBHOOK_SECRET,
    host: env.STRIPE_API_HOST,
    port: env.STRIPE_API_PORT,
    protocol: env.STRIPE_API_PROTOCOL,
  };
}

export function serviceConfigFromEnv(env: BaseEnv & { PORT: number }): ServiceConfig {
  return {
    nodeEnv: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    host: env.HOST,
    mongoUri: env.MONGODB_URI,
    dbPrefix: env.DB_PREFIX,
    redisUrl: env.REDIS_URL,
    queuePrefix: env.QUEUE_PREFIX,
    internalSecret: env.INTERNAL_SECRET,
    jwtSecret: env.JWT_SECRET,
    port: env.PORT,
    peers: peersFromEnv(env),
    stripe: stripeFromEnv(env),
    paymentSimulation: env.PAYMENT_SIMULATION,
    metricsToken: env.METRICS_TOKEN,
  };
}
