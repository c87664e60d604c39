/**
 * The benchmark's SSE fan-out scenario (used by bench/run.ts): turns real-time updates on for the seeded project,
 * opens BENCH_SSE_STREAMS (default 5000) event streams on the server from a separate process
 * (bench/sse-fanout.ts), records the server's RSS before and with the streams open, commits one environment change
 * as another instance would and measures until every stream has the event.
 * Targets (the issue's): every stream gets the event within 1 s; RSS grows by less than 100 MB.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import type { FanoutOptions, FanoutResult } from './sse-fanout';

const ROOT = resolve(__dirname, '..');

export const SSE_TARGET_ALL_MS = 1000;
export const SSE_TARGET_RSS_GROWTH_MB = 100;

export interface SseRow extends FanoutResult {
  readonly rssBeforeMb: number | null;
  readonly rssOpenMb: number | null;
  readonly rssGrowthMb: number | null;
  readonly ok: boolean;
}

function rssMb(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

/** Enables real-time updates for the project and tells the server (its cached environments must drop). */
async function enableRealtime(databaseUrl: string, projectId: number): Promise<void> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query('BEGIN');
    await db.query('UPDATE projects SET enable_realtime_updates = true WHERE id = $1', [projectId]);
    const rows = await db.query<{ id: number; api_key: string }>(
      'UPDATE environments SET updated_at = clock_timestamp() WHERE project_id = $1 RETURNING id, api_key',
      [projectId],
    );
    await db.query('SELECT pg_notify($1, $2)', [
      'flagport_environment_changed',
      JSON.stringify({
        environment_ids: rows.rows.map((r) => r.id),
        api_keys: rows.rows.map((r) => r.api_key),
      }),
    ]);
    await db.query('COMMIT');
  } finally {
    await db.end();
  }
}

export async function runSseFanout(options: {
  readonly baseUrl: string;
  readonly clientKey: string;
  readonly databaseUrl: string;
  readonly projectId: number;
  readonly environmentId: number;
  readonly serverPid: number | undefined;
  readonly streams: number;
}): Promise<SseRow> {
  await enableRealtime(options.databaseUrl, options.projectId);
  await new Promise((r) => setTimeout(r, 500));
  const rssBeforeMb = rssMb(options.serverPid);
  const fanout: FanoutOptions = {
    url: `${options.baseUrl}/sse/environments/${options.clientKey}/stream`,
    streams: options.streams,
    databaseUrl: options.databaseUrl,
    environmentId: options.environmentId,
    timeoutMs: 10_000,
  };
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', 'bench/sse-fanout.ts', JSON.stringify(fanout)],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', done));
  const lines = createInterface({ input: child.stdout });
  let rssOpenMb: number | null = null;
  let result: FanoutResult | undefined;
  for await (const line of lines) {
    if (line.startsWith('ready')) {
      await new Promise((r) => setTimeout(r, 1000));
      rssOpenMb = rssMb(options.serverPid);
      child.stdin.write('go\n');
    } else if (line.startsWith('{')) {
      result = JSON.parse(line) as FanoutResult;
    }
  }
  const code = await exited;
  if (result === undefined) throw new Error(`sse-fanout exited with ${code}: ${stderr}`);
  const rssGrowthMb = rssBeforeMb !== null && rssOpenMb !== null ? rssOpenMb - rssBeforeMb : null;
  return {
    ...result,
    rssBeforeMb,
    rssOpenMb,
    rssGrowthMb,
    ok:
      result.delivered === result.streams &&
      result.allMs >= 0 &&
      result.allMs <= SSE_TARGET_ALL_MS &&
      (rssGrowthMb === null || rssGrowthMb < SSE_TARGET_RSS_GROWTH_MB),
  };
}

export function formatSseRow(row: SseRow): string {
  const header = [
    'scenario',
    'streams',
    'open s',
    'all ms',
    'p50 ms',
    'RSS before MB',
    'RSS open MB',
    'growth MB',
    'target',
  ];
  const cells = [
    'SSE fan-out: one change → every open stream',
    `${row.delivered}/${row.streams}`,
    row.openSeconds.toFixed(1),
    String(row.allMs),
    String(row.p50Ms),
    String(row.rssBeforeMb ?? '-'),
    String(row.rssOpenMb ?? '-'),
    String(row.rssGrowthMb ?? '-'),
    `all ≤ ${SSE_TARGET_ALL_MS} ms, growth < ${SSE_TARGET_RSS_GROWTH_MB} MB`,
  ];
  const widths = header.map((h, i) => Math.max(h.length, cells[i].length));
  const line = (values: string[]) => `| ${values.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, line(cells)].join('\n');
}
