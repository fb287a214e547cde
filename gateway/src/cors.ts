import type { RequestHandler } from 'express';

const ALLOWED_HEADERS = 'content-type, authorization, x-request-id, apollo-require-preflight, x-apollo-operation-name';

/**
 * CORS for /graphql: only the configured origins (CORS_ORIGINS) may call from a browser. Tokens
 * travel in the Authorization header, never cookies, so credentials are not allowed cross-origin.
 * A preflight from any other origin gets no CORS headers, which the browser treats as a refusal.
 */
export function cors(origins: string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req, res, next) => {
    const origin = req.header('origin');
    res.vary('origin');
    const ok = origin !== undefined && (allowed.has(origin) || allowed.has('*'));
    if (ok) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-expose-headers', 'x-request-id, retry-after');
    }
    if (req.method === 'OPTIONS' && req.header('access-control-request-method')) {
      if (ok) {
        res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
        res.setHeader('access-control-allow-headers', ALLOWED_HEADERS);
        res.setHeader('access-control-max-age', '600');
      }
      res.status(204).end();
      return;
    }
    next();
  };
}
