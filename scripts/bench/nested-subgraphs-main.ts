/**
 * Process entry: serves the four nested-benchmark subgraphs, each on its own port
 * (NESTED_PORTS='{"accounts":4101,...}'). A lean server (node:http, documents parsed and validated
 * once per query text) so that the subgraphs take as little of the machine as they can and the
 * gateways under test get the rest.
 */
import http from 'node:http';
import { execute, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { nestedSchemas } from './nested-subgraphs';

function serve(schema: GraphQLSchema, port: number): Promise<void> {
  const documents = new Map<string, DocumentNode | readonly Error[]>();
  const documentFor = (query: string) => {
    let doc = documents.get(query);
    if (!doc) {
      const parsed = parse(query);
      const errors = validate(schema, parsed);
      doc = errors.length ? errors : parsed;
      documents.set(query, doc);
    }
    return doc;
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      let status = 200;
      let result: unknown;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query: string; variables?: Record<string, unknown>; operationName?: string };
        const doc = documentFor(body.query);
        if (Array.isArray(doc)) {
          status = 400;
          result = { errors: doc.map((e) => ({ message: e.message })) };
        } else {
          result = await execute({ schema, document: doc as DocumentNode, variableValues: body.variables, operationName: body.operationName });
        }
      } catch (err) {
        status = 400;
        result = { errors: [{ message: String(err) }] };
      }
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(result));
    });
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
}

async function main() {
  const ports = JSON.parse(process.env.NESTED_PORTS ?? '{}') as Record<string, number>;
  for (const { name, schema } of nestedSchemas()) {
    if (!ports[name]) throw new Error(`NESTED_PORTS has no port for ${name}`);
    await serve(schema, ports[name]);
  }
  process.on('SIGTERM', () => process.exit(0));
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
