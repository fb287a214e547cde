import { trace } from '@opentelemetry/api';
import winston from 'winston';
import type Transport from 'winston-transport';
import { currentRequestScope } from './request-context';

export type Logger = winston.Logger;

/** Adds the current request id (from AsyncLocalStorage), and the trace id when tracing is on, to every line logged inside a request or job. */
const requestIdFormat = winston.format((info) => {
  const scope = currentRequestScope();
  if (scope && info.requestId === undefined) info.requestId = scope.requestId;
  const span = trace.getActiveSpan()?.spanContext();
  if (span && info.traceId === undefined) info.traceId = span.traceId;
  return info;
});

/** Extra destinations every logger created afterwards also writes to (tests capture lines this way). */
const extraTransports = new Set<Transport>();

/** Add a transport to every logger created from now on; returns a function that stops adding it. */
export function addLogTransport(transport: Transport): () => void {
  extraTransports.add(transport);
  return () => void extraTransports.delete(transport);
}

/** Structured JSON logs, one line per event, tagged with the service name, at the configured level (LOG_LEVEL). */
export function createLogger(service: string, level: string): Logger {
  const logger = winston.createLogger({
    level,
    defaultMeta: { service },
    format: winston.format.combine(requestIdFormat(), winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ['error'] }), ...extraTransports],
  });
  return skippingDisabledLevels(logger);
}

/**
 * winston formats every line (request scope, timestamp, JSON) and only then lets each transport
 * drop those below its level: a per-job `info` at LOG_LEVEL=warn still cost a JSON.stringify. The
 * level methods here ask isLevelEnabled first (it weighs the logger's and every transport's level,
 * as the transports would), so what is written is unchanged; only the work for nothing goes.
 */
function skippingDisabledLevels(logger: Logger): Logger {
  for (const level of Object.keys(logger.levels)) {
    const write = (logger as unknown as Record<string, (...args: unknown[]) => Logger>)[level];
    if (typeof write !== 'function') continue;
    Object.defineProperty(logger, level, {
      configurable: true,
      writable: true,
      // `this`, as winston's own methods: a child logger (Object.create of this one) logs as itself.
      value: function (this: Logger | undefined, ...args: unknown[]) {
        const self = this ?? logger;
        return self.isLevelEnabled(level) ? write.apply(self, args) : self;
      },
    });
  }
  return logger;
}
