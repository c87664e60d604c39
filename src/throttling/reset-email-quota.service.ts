import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config';
import { ResetEmailPolicy } from './reset-email-quota';
import { RESET_EMAIL_STORE, ResetEmailStore } from './reset-emails.repository';

/** MAX_PASSWORD_RESET_EMAILS per account within PASSWORD_RESET_EMAIL_COOLDOWN seconds, shared by every instance. */
@Injectable()
export class ResetEmailQuotaService {
  private readonly policy: ResetEmailPolicy;

  constructor(
    @Inject(RESET_EMAIL_STORE) private readonly store: ResetEmailStore,
    @Inject(APP_CONFIG)
    config: Pick<AppConfig, 'MAX_PASSWORD_RESET_EMAILS' | 'PASSWORD_RESET_EMAIL_COOLDOWN'>,
  ) {
    this.policy = {
      maxEmails: config.MAX_PASSWORD_RESET_EMAILS,
      cooldownSeconds: config.PASSWORD_RESET_EMAIL_COOLDOWN,
    };
  }

  /** Whether one more reset email may go to the user; if so, it is counted. */
  claim(userId: number): Promise<boolean> {
    return this.store.claim(userId, this.policy);
  }
}
