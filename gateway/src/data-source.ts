import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { IDENTITY_HEADER, type Identity } from '../../subgraphs/lib/identity';
import { subgraphCallDuration } from '../../subgraphs/lib/metrics';
import { REQUEST_ID_HEADER } from '../../subgraphs/lib/request-context';
import type { RequestSigner } from './request-signer';
import { SubgraphClient, type SubgraphResponse } from './subgraph-fetch';

export interface GatewayContext {
  identity: Omit<Identity, 'iat' | 'aud' | 'bh'>;
  requestId: string;
  /** The caller's IP as express sees it (after TRUST_PROXY): the rate-limit key for anonymous callers. */
  clientIp?: string;
}

type GatewayGraphQLResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;
interface CacheHint {
  maxAge?: number;
  scope?: 'PUBLIC' | 'PRIVATE';
}

export interface SignedIdentityDataSourceOptions {
  name: string;
  url: string;
  signer: RequestSigner;
  timeoutMs: number;
  /** Time each call per subgraph (only where /metrics is served: see server.ts). */
  timed: boolean;
}

/**
 * One subgraph, as the gateway calls it: the caller's identity goes along signed for this subgraph
 * and this call's query and variables (see request-signer.ts), with the request id. Written against
 * Apollo's GraphQLDataSource interface rather than on RemoteGraphQLDataSource so that each call
 * serializes its variables once (the same string is signed and sent) and goes out over a pooled
 * keep-alive socket (subgraph-fetch.ts), with a deadline (SUBGRAPH_TIMEOUT_MS) and no retry
 * (mutations are not safe to repeat). Answers and failures are reported as RemoteGraphQLDataSource
 * reports them, so the gateway's executor and our error masking see the same thing.
 */
export class SignedIdentityDataSource implements GraphQLDataSource<GatewayContext> {
  private readonly client: SubgraphClient;

  constructor(private readonly opts: SignedIdentityDataSourceOptions) {
    this.client = new SubgraphClient(opts.url, { timeoutMs: opts.timeoutMs });
  }

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    if (!this.opts.timed) return this.call(options);
    const end = subgraphCallDuration.startTimer({ subgraph: this.opts.name });
    try {
      const response = await this.call(options);
      end({ outcome: response.errors?.length ? 'graphql_error' : 'ok' });
      return response;
    } catch (err) {
      end({ outcome: 'failure' });
      throw err;
    }
  }

  close(): void {
    this.client.close();
  }

  private async call(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { request, context } = options;
    const query = request.query;
    if (!query) throw new Error('Missing query');
    const variables = JSON.stringify(request.variables ?? {});
    const body = `{"query":${JSON.stringify(query)},"variables":${variables}${request.operationName ? `,"operationName":${JSON.stringify(request.operationName)}` : ''}}`;
    const identity = context?.identity ?? { role: 'ANONYMOUS' as const, rid: context?.requestId ?? 'unknown' };
    const headers: Record<string, string> = { 'content-type': 'application/json', [IDENTITY_HEADER]: this.opts.signer.sign(identity, this.opts.name, query, variables) };
    if (context?.requestId) headers[REQUEST_ID_HEADER] = context.requestId;
    // Headers the executor asks for (e.g. federated tracing), as RemoteGraphQLDataSource forwards them.
    for (const [name, value] of request.http?.headers ?? []) if (!(name in headers)) headers[name] = value;
    const response = await this.client.post(body, headers);
    if (response.status < 200 || response.status > 299) throw errorFromResponse(this.opts.url, response);
    const parsed = parseBody(response);
    if (typeof parsed !== 'object' || parsed === null) throw new Error(`Expected JSON response body, but received: ${response.body}`);
    if ('incomingRequestContext' in options) restrictCachePolicy(options.incomingRequestContext.overallCachePolicy, response.headers['cache-control']);
    return parsed as GatewayGraphQLResponse;
  }
}

/**
 * As RemoteGraphQLDataSource does: the answer may be cached only as long as every subgraph call's
 * Cache-Control allows (none, as ours send, means not at all).
 */
function restrictCachePolicy(policy: { restrict?(hint: CacheHint): void } | undefined, header: string | undefined): void {
  if (!policy?.restrict) return;
  const hint: CacheHint = { maxAge: 0 };
  for (const part of header?.split(',') ?? []) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 'max-age' && /^\d+$/.test(value ?? '')) hint.maxAge = Number(value);
    else if (key === 'private') hint.scope = 'PRIVATE';
    else if (key === 'public') hint.scope = 'PUBLIC';
  }
  policy.restrict(hint);
}

function parseBody(response: SubgraphResponse): unknown {
  const type = response.headers['content-type'] ?? '';
  return type.startsWith('application/json') || type.startsWith('application/graphql-response+json') ? JSON.parse(response.body) : response.body;
}

/** The error RemoteGraphQLDataSource raises for a non-2xx answer (a 401/403 keeps its meaning as a code). */
function errorFromResponse(url: string, response: SubgraphResponse): GraphQLError {
  let body: unknown = response.body;
  try {
    body = parseBody(response);
  } catch {
    // not JSON after all: keep the text
  }
  const code = response.status === 401 ? 'UNAUTHENTICATED' : response.status === 403 ? 'FORBIDDEN' : undefined;
  return new GraphQLError(`${response.status}: ${response.statusText}`, {
    extensions: { response: { url, status: response.status, statusText: response.statusText, body }, ...(code ? { code } : {}) },
  });
}
