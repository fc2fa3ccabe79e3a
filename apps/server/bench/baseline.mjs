/**
 * The bench's baseline: a bare fastify server (the same fastify and @fastify/multipart versions as @autod/server) in
 * its own process, answering
 *   GET  /health         the same JSON shape as autod's /health/live
 *   POST /upload         a multipart file part streamed to disk with SHA-256 computed while streaming (202 + hash)
 * Usage: node bench/baseline.mjs <upload dir>; prints {"event":"ready","address":…} on stdout; SIGTERM closes it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Fastify from 'fastify';
import fastifyMultipart from '@fastify/multipart';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node bench/baseline.mjs <upload dir>');
await mkdir(dir, { recursive: true });

const app = Fastify({ logger: false });
await app.register(fastifyMultipart);

const started = Date.now();
app.get('/health', async () => ({
  status: 'pass',
  httpStatus: 200,
  checks: [],
  timestamp: new Date().toISOString(),
  uptimeSeconds: (Date.now() - started) / 1000,
}));

app.post('/upload', async (request, reply) => {
  const part = await request.file({ limits: { fileSize: 5 * 1024 * 1024, files: 1 } });
  if (!part) return reply.code(400).send({ error: 'no file part' });
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(part.file, tap, createWriteStream(join(dir, `${randomUUID()}.pdf`), { flags: 'wx' }));
  return reply.code(202).send({ sha256: hash.digest('hex'), sizeBytes: bytes });
});

const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(JSON.stringify({ event: 'ready', address }) + '\n');
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
