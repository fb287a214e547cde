import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { Request, RequestHandler, Response } from 'express';
import type { GraphQLFormattedError } from 'graphql';
import type { GatewayContext } from './data-source';
import { withRequestId } from './errors';

/**
 * /graphql's last handler: hands the request to Apollo Server and writes its answer, as
 * @as-integrations/express5 does, with two differences:
 *  - an answer refused before Apollo's request pipeline (a CSRF-prone request, a GET mutation, a
 *    malformed request) gets the request id in its errors too, as pipeline errors get it from
 *    requestIdOnErrors: formatError does not know the request, and carrying it there would take an
 *    AsyncLocalStorage, whose promise hooks slow every await of the gateway (Node 20);
 *  - the body is written as is (no ETag: nobody revalidates a GraphQL POST).
 */
export function graphqlHandler(apollo: ApolloServer<GatewayContext>, context: (req: Request, res: Response) => Promise<GatewayContext>): RequestHandler {
  return async (req, res, next) => {
    try {
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      const queryAt = req.url.indexOf('?');
      const answer = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method.toUpperCase(), headers, search: queryAt >= 0 ? req.url.slice(queryAt) : '', body: req.body },
        context: () => context(req, res),
      });
      for (const [key, value] of answer.headers) res.setHeader(key, value);
      res.statusCode = answer.status ?? 200;
      if (answer.body.kind === 'complete') {
        const body = res.statusCode >= 400 ? refusalWithRequestId(answer.body.string, res.locals.requestId as string) : answer.body.string;
        res.setHeader('content-length', Buffer.byteLength(body));
        res.end(body);
        return;
      }
      for await (const chunk of answer.body.asyncIterator) res.write(chunk);
      res.end();
    } catch (err) {
      next(err);
    }
  };
}

/** An error answer (small, and rare) names the request in each of its errors. */
function refusalWithRequestId(body: string, requestId: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: GraphQLFormattedError[] };
    if (!Array.isArray(parsed?.errors)) return body;
    return `${JSON.stringify({ ...parsed, errors: withRequestId(parsed.errors, requestId) })}\n`;
  } catch {
    return body;
  }
}
