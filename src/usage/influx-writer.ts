import { Logger } from '@nestjs/common';

export interface InfluxSettings {
  readonly url: string;
  readonly token: string | undefined;
  readonly org: string | undefined;
  readonly bucket: string;
}

/** One InfluxDB line-protocol point: measurement, tags, one integer field, timestamp in seconds. */
export interface InfluxPoint {
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string | number>>;
  readonly field: string;
  readonly value: number;
  readonly timestampSeconds: number;
}

/** Escapes a tag key/value or measurement (commas, spaces, equals signs; backslashes first). */
export function escapeTag(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/[,= ]/g, (c) => `\\${c}`)
    .replace(/\n/g, '\\n');
}

export function toLineProtocol(points: readonly InfluxPoint[]): string {
  return points
    .map((p) => {
      const tags = Object.entries(p.tags)
        .map(([k, v]) => `${escapeTag(k)}=${escapeTag(String(v))}`)
        .join(',');
      return `${escapeTag(p.measurement)}${tags ? `,${tags}` : ''} ${escapeTag(p.field)}=${Math.trunc(p.value)}i ${p.timestampSeconds}`;
    })
    .join('\n');
}

/** Writes points to InfluxDB 2 over HTTP (`POST /api/v2/write`, `Authorization: Token …`). Never throws. */
export class InfluxWriter {
  private readonly logger = new Logger('InfluxDB');
  private readonly endpoint: string;

  constructor(private readonly settings: InfluxSettings) {
    const url = new URL('api/v2/write', settings.url.endsWith('/') ? settings.url : `${settings.url}/`);
    if (settings.org) url.searchParams.set('org', settings.org);
    url.searchParams.set('bucket', settings.bucket);
    url.searchParams.set('precision', 's');
    this.endpoint = url.toString();
  }

  async write(points: readonly InfluxPoint[]): Promise<boolean> {
    if (points.length === 0) return true;
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
    if (this.settings.token) headers.authorization = `Token ${this.settings.token}`;
    try {
      const res = await fetch(this.endpoint, {
        method: 'POST',
        headers,
        body: toLineProtocol(points),
        signal: AbortSignal.timeout(5000),
      });
      if (res.status >= 300) {
        this.logger.warn(`write of ${points.length} point(s) answered ${res.status}; they are dropped`);
        return false;
      }
      return true;
    } catch (err) {
      this.logger.warn(
        `write of ${points.length} point(s) failed (${err instanceof Error ? err.message : String(err)}); they are dropped`,
      );
      return false;
    }
  }
}
