import { Controller, Get, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '../config';
import { DetailJson, Responds, ValidBody, ValidQuery } from '../http/schema';
import {
  ADMIN_INIT_REFUSED,
  FieldProblems,
  FirstRunService,
  INIT_DONE,
  INIT_REFUSED,
  UsersAlreadyExist,
} from './first-run.service';
import {
  AdminInitJson,
  AdminInitRefusedJson,
  InitConfiguration,
  type InitConfigurationInput,
  InitDoneJson,
  InitErrorsJson,
  InitFormJson,
  InitFormQuery,
  type InitFormQueryInput,
} from './first-run.schemas';

const FIELDS = [
  {
    name: 'username',
    label: 'Username',
    type: 'text',
    help: 'A unique username for the installation superuser',
  },
  { name: 'email', label: 'Email', type: 'email', help: 'The email address of the installation superuser' },
  {
    name: 'password',
    label: 'Password',
    type: 'password',
    help: 'The password of the superuser (leave empty to set it through the password-reset link)',
  },
  {
    name: 'site_name',
    label: 'Site name',
    type: 'text',
    help: "A human readable name for the site, e.g. 'Flagsmith'",
  },
  {
    name: 'site_domain',
    label: 'Site domain',
    type: 'text',
    help: 'The domain the dashboard runs on, e.g. app.flagsmith.com (used in emails; FLAGSMITH_DOMAIN overrides it)',
  },
] as const;

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;background:#f6f7f9;color:#1b1d26;margin:0;padding:2rem}
main{max-width:34rem;margin:auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002}
label{display:block;font-weight:600;margin-top:1rem}input{width:100%;box-sizing:border-box;padding:.5rem;margin-top:.25rem}
small{color:#666}.error{color:#b00020}button{margin-top:1.5rem;padding:.6rem 1.4rem}
</style></head><body><main>${body}</main></body></html>`;
}

function formPage(values: Record<string, string>, errors: Record<string, string[]> = {}): string {
  const general = errors.non_field_errors ?? errors.detail;
  const fields = FIELDS.map((f) => {
    const value = f.type === 'password' ? '' : escapeHtml(values[f.name] ?? '');
    const error = errors[f.name] ? `<div class="error">${escapeHtml(errors[f.name].join(' '))}</div>` : '';
    const required =
      f.name === 'email' || f.name === 'site_name' || f.name === 'site_domain' ? ' required' : '';
    return `<label for="${f.name}">${f.label}</label><input id="${f.name}" name="${f.name}" type="${f.type}" value="${value}"${required}><small>${escapeHtml(f.help)}</small>${error}`;
  }).join('\n');
  return page(
    'Initialise the installation',
    `<h1>Initialise the installation</h1>
<p>Create the superuser and the site settings. This page works only until the first user exists.</p>
${general ? `<p class="error">${escapeHtml(general.join(' '))}</p>` : ''}
<form method="post" action="/api/v1/users/config/init/">${fields}
<button type="submit">Save</button></form>`,
  );
}

/** JSON when asked for (`?format=json`, a JSON body, or Accept without text/html), HTML otherwise. */
function wantsJson(request: FastifyRequest, query: InitFormQueryInput): boolean {
  if (query.format === 'json') return true;
  if (String(request.headers['content-type'] ?? '').includes('application/json')) return true;
  const accept = String(request.headers.accept ?? '');
  return accept.includes('application/json') && !accept.includes('text/html');
}

/** docs/contracts/admin-api.md §2: the first-run form and the admin-initiation URL. */
@Controller('api/v1/users')
export class InitController {
  constructor(
    private readonly firstRun: FirstRunService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('config/init')
  @Responds(200, InitFormJson, 'The form (its fields as JSON when asked for)', { html: true })
  @Responds(404, DetailJson, 'Users exist already', { html: true })
  async form(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @ValidQuery(InitFormQuery) query: InitFormQueryInput,
  ): Promise<void> {
    const json = wantsJson(request, query);
    if (await this.firstRun.hasUsers()) return this.refused(reply, json);
    if (json) {
      await reply.send({
        fields: FIELDS.map((f) => ({ name: f.name, label: f.label, help: f.help })),
        flagsmith_domain: this.config.FLAGSMITH_DOMAIN ?? null,
      } satisfies InitFormJson);
      return;
    }
    await reply
      .type('text/html; charset=utf-8')
      .send(formPage({ site_domain: this.config.FLAGSMITH_DOMAIN ?? '' }));
  }

  @Post('config/init')
  @Responds(200, InitDoneJson, 'Configured (a browser gets a confirmation page)', { html: true })
  @Responds(400, InitErrorsJson, 'Field errors (a browser gets the form again, with them)', { html: true })
  @Responds(404, DetailJson, 'Users exist already', { html: true })
  async submit(
    @ValidBody(InitConfiguration, { form: true }) values: InitConfigurationInput,
    @ValidQuery(InitFormQuery) query: InitFormQueryInput,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const json = wantsJson(request, query);
    if (values.username.length > 150) {
      return this.invalid(reply, json, values, {
        username: ['Ensure this field has no more than 150 characters.'],
      });
    }
    try {
      const { user, passwordResetUrl } = await this.firstRun.initConfiguration({
        email: values.email.trim(),
        password: values.password === '' ? undefined : values.password,
        firstName: values.username.trim(),
        siteName: values.site_name,
        siteDomain: this.config.FLAGSMITH_DOMAIN ?? values.site_domain,
      });
      if (json) {
        await reply.code(200).send({ message: INIT_DONE, passwordResetUrl } satisfies InitDoneJson);
        return;
      }
      const next = values.password
        ? `<p>Sign in at <a href="/admin/">/admin/</a> with ${escapeHtml(user.email)} (password sign-in is on unless ENABLE_ADMIN_ACCESS_USER_PASS=false or Google sign-in is configured).</p>`
        : '';
      await reply
        .code(200)
        .type('text/html; charset=utf-8')
        .send(
          page(
            INIT_DONE,
            `<h1 id="init-done">${INIT_DONE}</h1><p>The superuser ${escapeHtml(user.email)} was created.</p>${next}
<p>Password reset link: <a href="${escapeHtml(passwordResetUrl)}">${escapeHtml(passwordResetUrl)}</a></p>`,
          ),
        );
    } catch (err) {
      if (err instanceof UsersAlreadyExist) return this.refused(reply, json);
      if (err instanceof FieldProblems) return this.invalid(reply, json, values, err.errors);
      throw err;
    }
  }

  /** P1: GET creates the ADMIN_EMAIL superuser while no user exists (ALLOW_ADMIN_INITIATION_VIA_URL). */
  @Get('init')
  @Responds(201, AdminInitJson, 'The ADMIN_EMAIL superuser was created')
  @Responds(400, AdminInitRefusedJson, 'Users exist already')
  @Responds(404, DetailJson, 'ALLOW_ADMIN_INITIATION_VIA_URL is off')
  async initAdmin(@Res() reply: FastifyReply): Promise<void> {
    if (!this.config.ALLOW_ADMIN_INITIATION_VIA_URL) {
      await reply.code(404).send({ detail: 'Not found.' });
      return;
    }
    try {
      const { passwordResetUrl } = await this.firstRun.initAdmin();
      await reply.code(201).send({ adminUserCreated: true, passwordResetUrl } satisfies AdminInitJson);
    } catch (err) {
      if (!(err instanceof UsersAlreadyExist)) throw err;
      await reply.code(400).send({ adminUserCreated: false, message: ADMIN_INIT_REFUSED });
    }
  }

  private async refused(reply: FastifyReply, json: boolean): Promise<void> {
    if (json) await reply.code(404).send({ detail: INIT_REFUSED });
    else
      await reply
        .code(404)
        .type('text/html; charset=utf-8')
        .send(page(INIT_REFUSED, `<h1 id="init-refused">${INIT_REFUSED}</h1>`));
  }

  private async invalid(
    reply: FastifyReply,
    json: boolean,
    values: Record<string, string>,
    errors: Record<string, string[]>,
  ): Promise<void> {
    if (json) await reply.code(400).send(errors);
    else await reply.code(400).type('text/html; charset=utf-8').send(formPage(values, errors));
  }
}
