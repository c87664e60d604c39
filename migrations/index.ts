import { Initial1764140000000 } from './1764140000000-Initial';
import { DataModel1764200000000 } from './1764200000000-DataModel';
import { SdkUsage1764300000000 } from './1764300000000-SdkUsage';
import { TelemetryReports1764400000000 } from './1764400000000-TelemetryReports';
import { OAuthOneTimeKeys1764600000000 } from './1764600000000-OAuthOneTimeKeys';
import { RequestThrottles1764700000000 } from './1764700000000-RequestThrottles';
import { Mfa1765400000000 } from './1765400000000-Mfa';
import { FlagsmithDefaults1765800000000 } from './1765800000000-FlagsmithDefaults';
import { OnboardingAndTargeting1765800000001 } from './1765800000001-OnboardingAndTargeting';
import { Metadata1765500000000 } from './1765500000000-Metadata';
import { FeatureHealth1765600000000 } from './1765600000000-FeatureHealth';
import { FeatureImportExport1765700000000 } from './1765700000000-FeatureImportExport';
import { JobQueue1766100000000 } from './1766100000000-JobQueue';
import { EnvironmentWebhooks1766100000001 } from './1766100000001-EnvironmentWebhooks';
import { WebhookDeliveries1766300000000 } from './1766300000000-WebhookDeliveries';

/** Every migration in order; new migrations are appended here. */
export const MIGRATIONS = [
  Initial1764140000000,
  DataModel1764200000000,
  SdkUsage1764300000000,
  TelemetryReports1764400000000,
  OAuthOneTimeKeys1764600000000,
  RequestThrottles1764700000000,
  Mfa1765400000000,
  Metadata1765500000000,
  FeatureHealth1765600000000,
  FeatureImportExport1765700000000,
  FlagsmithDefaults1765800000000,
  OnboardingAndTargeting1765800000001,
  JobQueue1766100000000,
  EnvironmentWebhooks1766100000001,
  WebhookDeliveries1766300000000,
];
