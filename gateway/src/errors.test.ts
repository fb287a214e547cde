import { formatGatewayError } from './errors';

/** The gateway masks by the one error registry (subgraphs/lib/errors.ts), not a list of its own. */
describe('what the production gateway lets a client read', () => {
  const production = { exposeInternals: false };

  it('keeps the message of every client-safe code, SERVICE_UNAVAILABLE included', () => {
    for (const code of ['BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE', 'MAX_DEPTH_EXCEEDED']) {
      expect(formatGatewayError({ message: `said ${code}`, extensions: { code } }, null, production)).toMatchObject({ message: `said ${code}`, extensions: { code } });
    }
  });

  it('masks a code outside the registry, and internal errors, as INTERNAL_SERVER_ERROR', () => {
    for (const code of ['DOWNSTREAM_SERVICE_ERROR', 'INTERNAL_SERVER_ERROR', undefined]) {
      expect(formatGatewayError({ message: 'ECONNREFUSED 10.0.0.7:4003', extensions: { code } }, null, production)).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    }
  });
});
