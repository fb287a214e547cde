import winston from 'winston';
import { currentRequestScope } from './request-context';

export type Logger = winston.Logger;

/** Adds the current request id (from AsyncLocalStorage) to every line logged inside a request or job. */
const requestIdFormat = winston.format((info) => {
  const scope = currentRequestScope();
  if (scope && info.requestId === undefined) info.requestId = scope.requestId;
  return info;
});

/** Structured JSON logs, one line per event, tagged with the service name. */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return winston.createLogger({
    level,
    defaultMeta: { service },
    format: winston.format.combine(requestIdFormat(), winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ['error'] })],
  });
}
