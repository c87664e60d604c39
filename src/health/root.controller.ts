import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { version as packageVersion } from '../../package.json';
import { APP_CONFIG, AppConfig } from '../config';
import { Responds, S, type Static } from '../http/schema';

const link = (description: string) => S.string({ description });

/** What `GET /` answers: where a person (or a script) goes next. */
export const RootJson = S.response(
  {
    name: S.literal('flagport'),
    version: S.string({ description: 'The server’s version' }),
    links: S.response({
      admin: S.nullable(link('The admin panel (null when ADMIN_PANEL_ENABLED=false)')),
      first_run: link('The first-run form that creates the first superuser while no user exists'),
      api_docs: link('Swagger UI of the API'),
      openapi: link('The OpenAPI document'),
      sdk_flags: link('The SDK’s flags of an environment (X-Environment-Key header)'),
      liveness: link('Liveness probe'),
      readiness: link('Readiness probe'),
    }),
  },
  { title: 'RootJson' },
);
export type RootJson = Static<typeof RootJson>;

const LABELS: Record<keyof RootJson['links'], string> = {
  admin: 'Admin panel',
  first_run: 'First run: create the first superuser',
  api_docs: 'API documentation (Swagger UI)',
  openapi: 'OpenAPI document',
  sdk_flags: 'SDK flags (needs an X-Environment-Key header)',
  liveness: 'Liveness probe',
  readiness: 'Readiness probe',
};

/** A browser (Accept naming text/html) gets a page of links; anything else the JSON. */
function wantsHtml(request: FastifyRequest): boolean {
  return String(request.headers.accept ?? '').includes('text/html');
}

/** `GET /`: points a new user at the admin panel, the API docs and the probes instead of answering 404. */
@Controller()
export class RootController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get()
  @Responds(200, RootJson, 'Where to go next (a browser gets the same links as a page)', { html: true })
  async root(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const body: RootJson = {
      name: 'flagport',
      version: packageVersion,
      links: {
        admin: this.config.ADMIN_PANEL_ENABLED ? '/admin/' : null,
        first_run: '/api/v1/users/config/init/',
        api_docs: '/api/v1/docs/',
        openapi: '/api/v1/docs.json',
        sdk_flags: '/api/v1/flags/',
        liveness: '/health/liveness/',
        readiness: '/health/readiness/',
      },
    };
    if (!wantsHtml(request)) {
      await reply.send(body);
      return;
    }
    const items = (Object.keys(LABELS) as (keyof RootJson['links'])[])
      .filter((key) => body.links[key] !== null)
      .map(
        (key) => `<li><a href="${body.links[key]}">${LABELS[key]}</a> <code>${body.links[key]}</code></li>`,
      )
      .join('\n');
    await reply.type('text/html; charset=utf-8').send(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>flagport</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto">
<h1>flagport ${packageVersion}</h1>
<p>A Flagsmith-compatible feature-flag server. Where to go:</p>
<ul>
${items}
</ul></body></html>`);
  }
}
