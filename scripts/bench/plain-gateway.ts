/**
 * Process entry: the baseline of bench:gateway, a plain `new ApolloGateway({ supergraphSdl })`
 * behind @apollo/server (the same versions as ours) with its express integration, nothing else:
 * no limits, no rate limits, no identity checks, Apollo's default fetcher.
 *
 * Env: SUPERGRAPH_PATH, PORT. Our real subgraphs refuse any request without a signed identity, so
 * for them (SIGN_AS set) it adds the least a gateway must do to be let in: it signs SIGN_AS (a JSON
 * identity, trusted as is: no token is verified) for each subgraph call with INTERNAL_SECRET.
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { IDENTITY_HEADER, bindingFor, signIdentity, type Identity } from '../../subgraphs/lib/identity';

async function main() {
  const supergraphSdl = readFileSync(process.env.SUPERGRAPH_PATH!, 'utf8');
  const signAs = process.env.SIGN_AS ? (JSON.parse(process.env.SIGN_AS) as Omit<Identity, 'iat' | 'aud' | 'bh'>) : undefined;
  const secret = process.env.INTERNAL_SECRET ?? '';
  const gateway = signAs
    ? new ApolloGateway({
        supergraphSdl,
        buildService: ({ name, url }) =>
          new RemoteGraphQLDataSource({
            url,
            willSendRequest({ request }) {
              request.http?.headers.set(IDENTITY_HEADER, signIdentity(signAs, secret, bindingFor(name, request)));
            },
          }),
      })
    : new ApolloGateway({ supergraphSdl });
  const server = new ApolloServer({ gateway });
  await server.start();
  const app = express();
  app.use('/graphql', express.json({ limit: '1mb' }), expressMiddleware(server));
  const port = Number(process.env.PORT);
  app.listen(port, '127.0.0.1');
  process.on('SIGTERM', () => void server.stop().finally(() => process.exit(0)));
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
