import path from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { z } from 'zod';

/**
 * OpenTelemetry tracing, on only when OTEL_EXPORTER_OTLP_ENDPOINT is set (e.g. http://collector:4318).
 * Imported first by lib/main.ts, before express and http are loaded, so their instrumentation can
 * patch them: incoming requests become server spans, the gateway's calls to subgraphs (and services'
 * calls to siblings) become client spans carrying `traceparent`, so one trace spans every hop.
 * Service name: OTEL_SERVICE_NAME, else derived from the entry file (orders, orders-worker, gateway).
 */
let sdk: NodeSDK | undefined;

/** Read here, not in the service's schema: tracing starts before anything else is loaded. */
const tracingEnvSchema = z.object({
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
});

function tracingEnv(): z.infer<typeof tracingEnvSchema> {
  const parsed = tracingEnvSchema.safeParse(process.env);
  if (parsed.success) return parsed.data;
  // A bad tracing setting must not take the service down: report it and run without tracing.
  process.stderr.write(`tracing off: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}\n`);
  return {};
}

export function serviceNameFromEntry(entry = process.argv[1] ?? ''): string {
  const dir = path.basename(path.dirname(entry));
  const file = path.basename(entry).replace(/\.[cm]?[jt]s$/, '');
  if (dir === 'src' && path.basename(path.dirname(path.dirname(entry))) === 'gateway') return 'gateway';
  return file === 'main' ? dir : `${dir}-${file.replace(/-main$/, '')}`;
}

export function startTracing(env = tracingEnv()): boolean {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (sdk || !endpoint) return false;
  sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? serviceNameFromEntry(),
    traceExporter: new OTLPTraceExporter({ url: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? `${endpoint.replace(/\/$/, '')}/v1/traces` }) as any,
    instrumentations: [
      // Health probes and scrapes would drown the real traffic.
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => /^\/(health|ready|metrics)\b/.test(req.url ?? '') }),
      new ExpressInstrumentation(),
    ],
  });
  sdk.start();
  return true;
}

/** Flush spans still buffered; called last during graceful shutdown. */
export async function shutdownTracing(): Promise<void> {
  const running = sdk;
  sdk = undefined;
  await running?.shutdown().catch(() => undefined);
}

startTracing();
