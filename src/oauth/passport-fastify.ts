import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** The reply methods the shims forward to (typed structurally: Nest's adapter bundles its own Fastify). */
interface ForwardingReply {
  header(name: string, value: unknown): unknown;
  send(payload?: unknown): unknown;
}

/**
 * Passport answers redirects with Node's response API (`res.statusCode = 302; res.setHeader(…); res.end()`),
 * which Fastify's reply lacks. Two reply decorations map them onto Fastify; they are added once, on the reply
 * prototype, at startup, so no request pays anything for them (the SDK hot path never calls them).
 */
export function installPassportReplyShim(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  if (fastify.hasReplyDecorator('setHeader')) return;
  fastify.decorateReply(
    'setHeader',
    function (this: ForwardingReply, name: string, value: string | number | readonly string[]) {
      return this.header(name, value);
    },
  );
  fastify.decorateReply('end', function (this: ForwardingReply, body?: string | Buffer) {
    void this.send(body ?? '');
  });
}
