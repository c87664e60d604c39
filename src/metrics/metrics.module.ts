import { createServer, Server } from 'node:http';
import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config';
import { GaugeSample, MetricsRegistry } from './metrics-registry';
import { MetricsService } from './metrics.service';
import { ProcessMetrics } from './process-metrics';
import { StatsdClient } from './statsd-client';

/** How often StatsD lines are sent. */
export const STATSD_FLUSH_MS = 1000;
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const METRICS_PATH = '/metrics';

/**
 * Wires the registry to the outside: a Fastify `onResponse` hook records every request (route pattern, method,
 * status, duration), database pool sizes are read on each scrape/flush, StatsD lines are flushed every second, and
 * `GET /metrics` is served on the main port or on PROMETHEUS_PORT.
 */
@Injectable()
export class MetricsRuntime implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private statsd?: StatsdClient;
  private flushTimer?: NodeJS.Timeout;
  private processMetrics?: ProcessMetrics;
  private server?: Server;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly registry: MetricsRegistry,
    private readonly metrics: MetricsService,
    private readonly adapterHost: HttpAdapterHost,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.metrics.enabled) return;
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const registry = this.registry;
    fastify.addHook('onResponse', (request, reply, done) => {
      registry.recordRequest(request.routeOptions.url, request.method, reply.statusCode, reply.elapsedTime);
      done();
    });
    registry.addCollector(() => databasePoolGauges(this.dataSource));
    registry.describe(
      'db.pool.connections',
      'Connections of each database pool: total open, idle, and requests waiting for one.',
    );

    if (this.config.STATSD_HOST) {
      this.statsd = new StatsdClient(this.config.STATSD_HOST, this.config.STATSD_PORT, (message) =>
        this.logger.warn(message),
      );
      this.flushTimer = setInterval(() => this.flush(), STATSD_FLUSH_MS);
      this.flushTimer.unref();
    }

    if (this.config.PROMETHEUS_ENABLED) {
      this.processMetrics = new ProcessMetrics();
      if (this.config.PROMETHEUS_PORT === undefined) {
        fastify.get(METRICS_PATH, (_request, reply) => {
          void reply.header('content-type', PROMETHEUS_CONTENT_TYPE).send(this.render());
        });
      } else {
        await this.listenSeparately(this.config.PROMETHEUS_PORT);
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flush();
    this.statsd?.close();
    this.processMetrics?.stop();
    const server = this.server;
    if (server) await new Promise<void>((done) => server.close(() => done()));
  }

  /** The Prometheus text of everything recorded. */
  render(): string {
    return this.registry.renderPrometheus(this.processMetrics?.render() ?? []);
  }

  private flush(): void {
    if (!this.statsd) return;
    this.statsd.send(this.registry.drainStatsd(this.config.STATSD_PREFIX));
  }

  private async listenSeparately(port: number): Promise<void> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '');
      if (req.method === 'GET' && path === METRICS_PATH) {
        res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(this.render());
      } else {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not found."}');
      }
    });
    try {
      await new Promise<void>((done, fail) => {
        server.once('error', fail);
        server.listen(port, this.config.HOST, () => {
          server.off('error', fail);
          done();
        });
      });
      this.server = server;
      this.logger.log(`Prometheus metrics on http://${this.config.HOST}:${port}${METRICS_PATH}`);
    } catch (err) {
      // Metrics are not worth refusing to serve flags over.
      this.logger.error(
        `cannot serve Prometheus metrics on ${this.config.HOST}:${port} (PROMETHEUS_PORT): ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
}

/** The parts of TypeORM's PostgresDriver that hold the pg pools. */
interface PostgresPools {
  master?: Pool;
  slaves?: Pool[];
}

function databasePoolGauges(dataSource: DataSource): GaugeSample[] {
  if (!dataSource.isInitialized) return [];
  const driver = dataSource.driver as unknown as PostgresPools;
  const pools: [string, Pool | undefined][] = [['primary', driver.master]];
  (driver.slaves ?? []).forEach((pool, i) => pools.push([`replica_${i + 1}`, pool]));
  const samples: GaugeSample[] = [];
  for (const [name, pool] of pools) {
    if (!pool) continue;
    samples.push(
      { name: 'db.pool.connections', tags: { pool: name, state: 'total' }, value: pool.totalCount },
      { name: 'db.pool.connections', tags: { pool: name, state: 'idle' }, value: pool.idleCount },
      { name: 'db.pool.connections', tags: { pool: name, state: 'waiting' }, value: pool.waitingCount },
    );
  }
  return samples;
}

@Global()
@Module({})
export class MetricsModule {
  static forRoot(config: AppConfig): DynamicModule {
    const enabled = config.PROMETHEUS_ENABLED || config.STATSD_HOST !== undefined;
    const registry = new MetricsRegistry({ keepStatsdSamples: config.STATSD_HOST !== undefined });
    return {
      module: MetricsModule,
      providers: [
        { provide: MetricsRegistry, useValue: registry },
        { provide: MetricsService, useValue: new MetricsService(registry, enabled) },
        MetricsRuntime,
      ],
      exports: [MetricsService],
    };
  }
}
