import { Controller, Get, Inject } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { version as packageVersion } from '../../package.json';
import { APP_CONFIG, AppConfig } from '../config';

export interface VersionInfo {
  ci_commit_sha: string;
  image_tag: string;
  has_email_provider: boolean;
  is_enterprise: boolean;
  is_saas: boolean;
  package_versions: Record<string, string>;
  self_hosted_data: { has_users: boolean; has_logins: boolean };
}

/** docs/contracts/admin-api.md §2 P1 `GET /version/`: what the dashboard reads to adapt itself to the install. */
@Controller()
export class VersionController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('version')
  async version(): Promise<VersionInfo> {
    const [row] = await this.dataSource.query<{ has_users: boolean; has_logins: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM users) AS has_users,
              EXISTS (SELECT 1 FROM users WHERE last_login IS NOT NULL) AS has_logins`,
    );
    return {
      ci_commit_sha: 'unknown',
      image_tag: 'unknown',
      has_email_provider: this.config.EMAIL_BACKEND !== 'none',
      is_enterprise: false,
      is_saas: false,
      package_versions: { '.': packageVersion },
      self_hosted_data: { has_users: row.has_users, has_logins: row.has_logins },
    };
  }
}
