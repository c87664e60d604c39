/**
 * The benchmark's baseline: a bare Fastify server that answers GET /api/v1/flags/ with a fixed JSON body from
 * memory (the body our server returned for the same environment), and POST /api/v1/identities/ (JSON body parsed,
 * then the same bytes) as the reference for the POST scenario. Run as its own process by bench/run.ts.
 *
 * `--fast-bind`: with flagport's replacement of Node 20's AsyncResource.prototype.bind (src/http/async-resource-bind.ts),
 * which every Fastify body parse goes through: the reference for what a bare Fastify POST costs with that fix.
 */
import { readFileSync } from 'node:fs';
import { nestFastify } from '../src/http/fastify-options';
import { installFastAsyncResourceBind } from '../src/http/async-resource-bind';

async function main(): Promise<void> {
  const [bodyFile, port, option] = process.argv.slice(2);
  if (option === '--fast-bind') installFastAsyncResourceBind();
  const body = readFileSync(bodyFile, 'utf8');
  const app = nestFastify()({ logger: false });
  app.get('/api/v1/flags/', (_request, reply) => {
    void reply.header('content-type', 'application/json').send(body);
  });
  // The same bytes for a POST with a JSON body: what the stack itself costs for the POST scenarios.
  app.post('/api/v1/identities/', (_request, reply) => {
    void reply.header('content-type', 'application/json').send(body);
  });
  await app.listen({ port: Number(port), host: '127.0.0.1' });
  process.stdout.write('baseline listening\n');
}

void main();
