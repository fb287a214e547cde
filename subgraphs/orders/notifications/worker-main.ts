import { z } from 'zod';
import { baseEnvSchema, mailConfigFromEnv, mailEnvSchema, refuseDevSecretsInProduction, refuseMailDefaultsInProduction, serviceConfigFromEnv, workerPorts } from '../../lib/config';
import { port } from '../../lib/env';
import { runMain } from '../../lib/main';
import { DEFAULT_LEASE_MS, startNotificationsWorker } from './worker';

const envSchema = baseEnvSchema
  .extend(mailEnvSchema.shape)
  .extend({
    PORT: port(workerPorts.notifications),
    /** How long a send claim holds before a silent sender counts as dead (ms). */
    NOTIFICATION_LEASE_MS: z.coerce.number().int().min(1_000).default(DEFAULT_LEASE_MS),
  })
  .superRefine(refuseDevSecretsInProduction)
  .superRefine(refuseMailDefaultsInProduction);

runMain('notifications-worker', envSchema, (env) => startNotificationsWorker(serviceConfigFromEnv(env), mailConfigFromEnv(env), { leaseMs: env.NOTIFICATION_LEASE_MS }));
