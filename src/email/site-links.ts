import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config';
import type { Site } from '../users/site.entity';

/** Where email links point: FLAGSMITH_DOMAIN, else the site domain set at first run (Django's django_site). */
@Injectable()
export class SiteLinks {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** `https://app.example.com` (a domain without scheme gets https), or '' when neither is set (relative links). */
  async siteUrl(): Promise<string> {
    const domain =
      this.config.FLAGSMITH_DOMAIN ??
      (await this.dataSource.getRepository<Site>('Site').find({ take: 1 }))[0]?.domain;
    if (!domain) return '';
    return /^https?:\/\//.test(domain) ? domain.replace(/\/+$/, '') : `https://${domain.replace(/\/+$/, '')}`;
  }

  /** An absolute (when a domain is known) link to a dashboard path such as `invite/<hash>`. */
  async link(path: string): Promise<string> {
    return `${await this.siteUrl()}/${path.replace(/^\/+/, '')}`;
  }
}
