import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import makeFetchHappen from 'make-fetch-happen';
import { IDENTITY_HEADER, signIdentity, type Identity } from '../../subgraphs/lib/identity';
import { REQUEST_ID_HEADER } from '../../subgraphs/lib/request-context';

export interface GatewayContext {
  identity: Omit<Identity, 'iat'>;
  requestId: string;
}

/**
 * Forwards the verified identity to subgraphs, signed with the secret only the gateway and the
 * subgraphs share, plus the request id. Calls go through make-fetch-happen (the gateway's own
 * fetcher): pooled keep-alive sockets, no retries (mutations are not safe to repeat blindly),
 * and a timeout on every subgraph call.
 */
export class SignedIdentityDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  private readonly internalSecret: string;

  constructor(opts: { url: string; internalSecret: string; timeoutMs: number }) {
    super({ url: opts.url, fetcher: makeFetchHappen.defaults({ maxSockets: 256, retry: false, timeout: opts.timeoutMs }) as any });
    this.internalSecret = opts.internalSecret;
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const identity = context?.identity ?? { role: 'ANONYMOUS' as const, rid: context?.requestId ?? 'unknown' };
    request.http?.headers.set(IDENTITY_HEADER, signIdentity(identity, this.internalSecret));
    if (context?.requestId) request.http?.headers.set(REQUEST_ID_HEADER, context.requestId);
  }
}
