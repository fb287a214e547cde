import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import makeFetchHappen from 'make-fetch-happen';
import { IDENTITY_HEADER, bindingFor, signIdentity, type Identity } from '../../subgraphs/lib/identity';
import { subgraphCallDuration } from '../../subgraphs/lib/metrics';
import { REQUEST_ID_HEADER } from '../../subgraphs/lib/request-context';

export interface GatewayContext {
  identity: Omit<Identity, 'iat' | 'aud' | 'bh'>;
  requestId: string;
  /** The caller's IP as express sees it (after TRUST_PROXY): the rate-limit key for anonymous callers. */
  clientIp?: string;
}

/**
 * Forwards the verified identity to subgraphs, signed with the secret only the gateway and the
 * subgraphs share, plus the request id. Calls go through make-fetch-happen (the gateway's own
 * fetcher): pooled keep-alive sockets, no retries (mutations are not safe to repeat blindly),
 * and a timeout on every subgraph call (SUBGRAPH_TIMEOUT_MS). Each call is timed per subgraph.
 */
export class SignedIdentityDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  private readonly internalSecret: string;
  private readonly subgraph: string;

  constructor(opts: { url: string; internalSecret: string; timeoutMs: number; name: string }) {
    super({ url: opts.url, fetcher: makeFetchHappen.defaults({ maxSockets: 256, retry: false, timeout: opts.timeoutMs }) as any });
    this.internalSecret = opts.internalSecret;
    this.subgraph = opts.name;
  }

  /** The identity goes only to this subgraph, bound to this request's query and variables. */
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const identity = context?.identity ?? { role: 'ANONYMOUS' as const, rid: context?.requestId ?? 'unknown' };
    request.http?.headers.set(IDENTITY_HEADER, signIdentity(identity, this.internalSecret, bindingFor(this.subgraph, request)));
    if (context?.requestId) request.http?.headers.set(REQUEST_ID_HEADER, context.requestId);
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): ReturnType<RemoteGraphQLDataSource<GatewayContext>['process']> {
    const end = subgraphCallDuration.startTimer({ subgraph: this.subgraph });
    try {
      const response = await super.process(options);
      end({ outcome: response.errors?.length ? 'graphql_error' : 'ok' });
      return response;
    } catch (err) {
      end({ outcome: 'failure' });
      throw err;
    }
  }
}
