import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { errorTracker } from './error-reporter';

/** How long shutdown waits for queued Sentry events. */
const FLUSH_ON_SHUTDOWN_MS = 2000;

/**
 * When Sentry is on: names each request's trace after its route pattern (so traces group by endpoint and never
 * carry raw paths with keys in them) and sends queued events before the process stops. Nothing is registered, and
 * nothing runs per request, when Sentry is off.
 */
@Injectable()
export class ErrorTrackingHooks implements OnModuleInit, OnApplicationShutdown {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const tracker = errorTracker();
    if (!tracker) return;
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (request, _reply, done) => {
      tracker.nameRequest(request);
      done();
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await errorTracker()?.flush(FLUSH_ON_SHUTDOWN_MS);
  }
}
