import fastifyCompress from '@fastify/compress';
import { Inject, Injectable, Logger, NotFoundException, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config';
import { EnvironmentsService } from '../environments/environments.service';
import { fastifyOptions } from '../http/fastify-options';
import { FeatureStatesService } from '../features/feature-states.service';
import { FeaturesService } from '../features/features.service';
import { MvOptionsService } from '../features/mv-options.service';
import { mapError } from '../http/errors';
import { COMPRESSION_OPTIONS, jsonContentParser } from '../http/http-pipeline';
import { OrganisationsService } from '../organisations/organisations.service';
import { ProjectsService } from '../projects/projects.service';
import { IdentitiesService } from '../identities/identities.service';
import { MembersService } from '../organisations/members.service';
import { GrantsService } from '../permissions/grants.service';
import { FeatureSegmentsService } from '../segments/feature-segments.service';
import { SegmentsService } from '../segments/segments.service';
import { AccountsService } from '../users/accounts.service';
import {
  ADMIN_LOGIN_PATH,
  AdminAuthService,
  GOOGLE_COMPLETE_PATH,
  GOOGLE_START_PATH,
  OAUTH_STATE_COOKIE,
  readCookie,
} from './admin-auth.service';
import { bundleComponents, BundlePlan, componentLoader, planBundle } from './admin-bundle';
import { LoginLockoutService } from '../auth/login-lockout.service';
import { adminResources } from './admin-resources';
import { AdminWriter } from './admin-writer';
import { AdminJS, loadAdminJs, sessionOf, sessionUserId } from './adminjs';
import { LazyMount } from './lazy-mount';

export const ADMIN_ROOT = '/admin';
const SESSION_COOKIE = 'flagport_admin';

/**
 * Mounts AdminJS at /admin (see README "Admin panel"). @adminjs/nestjs is not used: on Fastify it mounts nothing
 * and it starts a file watcher in development.
 *
 * AdminJS (~65 MB of resident memory) is loaded on the first request for /admin, not at start-up: most server
 * processes never serve the panel. Start-up registers only a catch-all for /admin on the API's Fastify instance
 * (src/admin/lazy-mount.ts); the first request loads AdminJS and builds the panel in a separate Fastify instance
 * (cookie, session, form body, multipart and AdminJS's authentication preHandler, none of which touch the API),
 * and every /admin request is then handed to it. Routes Nest owns under /admin (Google sign-in) are static routes
 * of the API's instance, which its router prefers to the catch-all.
 */
@Injectable()
export class AdminPanelService implements OnModuleInit {
  private readonly logger = new Logger('AdminPanel');
  private readonly plan: BundlePlan;
  private readonly mount: LazyMount;
  private admin?: AdminJS;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly writer: AdminWriter,
    private readonly auth: AdminAuthService,
    private readonly lockout: LoginLockoutService,
    private readonly organisations: OrganisationsService,
    private readonly projects: ProjectsService,
    private readonly environments: EnvironmentsService,
    private readonly features: FeaturesService,
    private readonly mvOptions: MvOptionsService,
    private readonly featureStates: FeatureStatesService,
    private readonly segments: SegmentsService,
    private readonly featureSegments: FeatureSegmentsService,
    private readonly identities: IdentitiesService,
    private readonly grants: GrantsService,
    private readonly members: MembersService,
    private readonly accounts: AccountsService,
  ) {
    this.plan = planBundle(config.ADMIN_JS_TMP_DIR);
    this.mount = new LazyMount({
      label: 'admin panel',
      root: ADMIN_ROOT,
      // What AdminJS routes (HEAD comes with GET); other methods keep the API's 404, without loading anything.
      methods: ['GET', 'POST'],
      innerOptions: fastifyOptions(config),
      fill: (inner) => this.build(inner),
      onLoaded: () => this.bundleInBackground(),
      logger: {
        log: (message) => this.logger.log(message),
        error: (message, stack) => this.logger.error(message, stack),
      },
    });
  }

  async onModuleInit(): Promise<void> {
    await this.mount.register(this.adapterHost.httpAdapter.getInstance<FastifyInstance>());
  }

  /** Loads AdminJS and builds the panel into the (new, empty) inner Fastify instance. */
  private async build(inner: FastifyInstance): Promise<void> {
    const plan = this.plan;
    const { adminjs, fastifyPlugin } = await loadAdminJs();
    const auth = this.auth;
    const loginMethods = () => this.loginMethods();

    class FlagportAuthProvider extends adminjs.BaseAuthProvider {
      override getUiProps() {
        return { flagport: loginMethods() };
      }
      // POST /admin/login is answered by signInStep (a preHandler) before AdminJS's handler runs: a sign-in
      // may need a second page (the code form), which AdminJS's handler cannot render. This stays for safety.
      override async handleLogin(
        opts: { data?: Record<string, unknown> },
        context?: { request?: FastifyRequest },
      ) {
        const outcome = await auth.passwordSignIn(
          opts.data?.email,
          opts.data?.password,
          context?.request?.ip ?? '',
        );
        if (outcome.kind !== 'signed_in') return null;
        // A new session id at sign-in (no session fixation); AdminJS then stores the user in it.
        if (context?.request) await sessionOf(context.request)?.regenerate(['redirectTo']);
        return outcome.user;
      }
    }

    const admin = new adminjs.default({
      rootPath: ADMIN_ROOT,
      loginPath: ADMIN_LOGIN_PATH,
      logoutPath: `${ADMIN_ROOT}/logout`,
      resources: adminResources(
        adminjs,
        this.dataSource,
        this.writer,
        {
          organisations: this.organisations,
          projects: this.projects,
          environments: this.environments,
          features: this.features,
          mvOptions: this.mvOptions,
          featureStates: this.featureStates,
          segments: this.segments,
          featureSegments: this.featureSegments,
          identities: this.identities,
          grants: this.grants,
          members: this.members,
          accounts: this.accounts,
        },
        (context) => auth.principal(sessionUserId(context?.currentAdmin)),
        this.lockout,
      ),
      componentLoader: plan.prebuilt ? new adminjs.ComponentLoader() : componentLoader(adminjs, false),
      branding: { companyName: 'Flagport', withMadeWithLove: false, logo: false },
      settings: { defaultPerPage: 20 },
    });

    // What the API's instance gave the panel when it was a plugin there: its JSON parser (DRF's semantics),
    // gzip (ENABLE_GZIP_COMPRESSION) and, for a URL no route matches, Nest's 404 body. Errors keep Fastify's
    // default handler, as they had. The security headers and the access log come from the API's instance.
    inner.addContentTypeParser('application/json', { parseAs: 'string' }, jsonContentParser);
    if (this.config.ENABLE_GZIP_COMPRESSION) await inner.register(fastifyCompress, COMPRESSION_OPTIONS);
    inner.setNotFoundHandler((request, reply) => {
      const { status, body } = mapError(new NotFoundException(), request);
      void reply
        .code(status)
        .header('content-type', 'application/json; charset=utf-8')
        .send(JSON.stringify(body));
    });

    const secret = auth.sessionSecret();
    await inner.register(async (instance) => {
      // AdminJS registers its own form parser (@fastify/formbody) in this scope.
      await fastifyPlugin.default.buildAuthenticatedRouter(
        admin,
        { provider: new FlagportAuthProvider(), cookieName: SESSION_COOKIE, cookiePassword: secret },
        instance,
        {
          secret,
          cookieName: SESSION_COOKIE,
          saveUninitialized: false,
          cookie: { path: ADMIN_ROOT, httpOnly: true, sameSite: 'lax', secure: 'auto' },
        },
      );
      instance.get(GOOGLE_COMPLETE_PATH, (request, reply) => this.completeGoogleSignIn(request, reply));
      instance.addHook('preHandler', (request, reply) => this.checkSession(request, reply));
      instance.addHook('preHandler', (request, reply) => this.signInStep(admin, request, reply));
    });
    this.admin = admin;
  }

  /**
   * POST /admin/login, both steps: email and password, then (a superuser with two-factor authentication) the
   * ephemeral token and a code. Signed in: a new session id (no session fixation) holding the user, then where
   * the visitor was going. Otherwise the login page again, with the code form or the error.
   */
  private async signInStep(
    admin: AdminJS,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply | undefined> {
    if (request.method !== 'POST' || request.routeOptions.url !== ADMIN_LOGIN_PATH) return undefined;
    const form = (request.body ?? {}) as Record<string, unknown>;
    const outcome =
      form.ephemeral_token !== undefined
        ? await this.auth.codeSignIn(form.ephemeral_token, form.code, request.ip)
        : await this.auth.passwordSignIn(form.email, form.password, request.ip);
    const session = sessionOf(request);
    if (outcome.kind === 'signed_in' && session) {
      await session.regenerate(['redirectTo']);
      const next = sessionOf(request)!;
      next.set('adminUser', outcome.user);
      const redirectTo = (next as unknown as { redirectTo?: string }).redirectTo;
      // Returning the reply tells Fastify the hook answered: AdminJS's own login handler does not run.
      return reply.redirect(redirectTo || ADMIN_ROOT, 302);
    }
    const page = await admin.renderLogin({
      action: ADMIN_LOGIN_PATH,
      errorMessage: outcome.kind === 'refused' ? 'invalidCredentials' : null,
      flagport: {
        ...this.loginMethods(),
        secondFactor:
          outcome.kind === 'second_factor'
            ? { ephemeralToken: outcome.ephemeralToken, wrongCode: outcome.wrongCode }
            : null,
      },
    });
    return reply.type('text/html').send(page);
  }

  /** Which sign-in methods the login page offers. */
  private loginMethods() {
    return {
      password: this.auth.passwordEnabled,
      google: this.auth.googleEnabled,
      googleUrl: GOOGLE_START_PATH,
    };
  }

  /** No prebuilt bundle (production only): build it in the background once the panel is loaded. */
  private bundleInBackground(): void {
    const plan = this.plan;
    const admin = this.admin;
    if (!admin || plan.prebuilt || process.env.NODE_ENV !== 'production') return;
    setImmediate(() => {
      const started = Date.now();
      bundleComponents(admin, plan.dir).then(
        () => this.logger.log(`admin components bundled into ${plan.dir} in ${Date.now() - started} ms`),
        (err: unknown) => this.logger.error(`admin component bundling failed: ${String(err)}`),
      );
    });
  }

  /** Sessions are re-checked on every request: a deactivated or demoted user is signed out at once. */
  private async checkSession(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const session = sessionOf(request);
    const current = session?.get('adminUser');
    if (!session || !current) return;
    const id = sessionUserId(current);
    if (id !== undefined && (await this.auth.stillAllowed(id))) return;
    await session.destroy();
    await reply.redirect(ADMIN_LOGIN_PATH, 302);
  }

  /** The last step of Google sign-in: the ticket from the Nest callback becomes an AdminJS session. */
  private async completeGoogleSignIn(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const state = readCookie(request.headers.cookie, OAUTH_STATE_COOKIE);
    const ticket = (request.query as Record<string, unknown> | undefined)?.ticket;
    const userId = this.auth.redeemTicket(ticket, state);
    const user = userId === undefined ? null : await this.auth.stillAllowed(userId);
    void reply.header(
      'set-cookie',
      `${OAUTH_STATE_COOKIE}=; Path=${GOOGLE_START_PATH}; Max-Age=0; HttpOnly; SameSite=Lax`,
    );
    const session = sessionOf(request);
    const sessionUser = this.auth.sessionUser(user);
    if (!session || !sessionUser) {
      await reply.redirect(`${ADMIN_LOGIN_PATH}?sso=denied`, 302);
      return;
    }
    await session.regenerate(); // a new session id at sign-in (no fixation); regenerate() replaces request.session
    sessionOf(request)?.set('adminUser', sessionUser);
    await reply.redirect(ADMIN_ROOT, 302);
  }
}
