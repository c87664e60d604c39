import { isIP } from 'node:net';
import { S, type Static } from '../http/schema';

/** POST /api/v1/analytics/telemetry/ (Flagsmith's TelemetrySerializer, docs/contracts/deployment.md). */

const count = () => S.integer({ minimum: 0 });
const COUNTS = {
  organisations: count(),
  projects: count(),
  environments: count(),
  features: count(),
  segments: count(),
  users: count(),
  debug_enabled: S.boolean(),
  env: S.string({ maxLength: 255 }),
};

/** DRF's IPAddressField: '' is no address either (hence allowBlank: the check refuses it). */
const ipAddress = S.check(S.string({ allowBlank: true }), (v) =>
  isIP(v) === 0 ? 'Enter a valid IPv4 or IPv6 address.' : undefined,
);

export const TelemetryReportInput = S.object({ ...COUNTS, external_ip: S.optional(S.nullable(ipAddress)) });
export type TelemetryReportInput = Static<typeof TelemetryReportInput>;

/** The accepted report, as stored and answered (also what this install sends at startup). */
export const TelemetryJson = S.response(
  {
    ...COUNTS,
    external_ip: S.optional(S.string({ description: "The sender's public address, if it has one" })),
  },
  { title: 'TelemetryReport' },
);
export type TelemetryJson = Static<typeof TelemetryJson>;
