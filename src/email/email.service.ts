import { Inject, Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config';
import { EmailTransport, OutgoingEmail } from './transports/transport';

export interface EmailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
}

/** Injection token of the EMAIL_BACKEND transport; null when email is off (EMAIL_BACKEND=none or unusable). */
export const EMAIL_TRANSPORT = Symbol('EMAIL_TRANSPORT');

/**
 * Outgoing email. Inject `EmailService` and call `send()`: it returns at once and never throws for a delivery
 * problem, so no request fails (or waits) because an email could not be sent. Invite links work without email.
 */
export abstract class EmailService {
  abstract send(message: EmailMessage): Promise<void>;
}

/** How long shutdown waits for emails still being delivered. */
const SHUTDOWN_WAIT_MS = 10_000;

/**
 * The EmailService: keeps the last 100 messages in `outbox` (tests read it), then delivers each in the background
 * through the EMAIL_BACKEND transport (SMTP, SendGrid, SES, console), from SENDER_EMAIL. A failed delivery is a
 * warning in the log, nothing more. Shutdown waits briefly for deliveries in flight.
 */
@Injectable()
export class LoggingEmailService extends EmailService implements OnApplicationShutdown {
  private readonly logger = new Logger('Email');
  readonly outbox: EmailMessage[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @Inject(EMAIL_TRANSPORT) private readonly transport: EmailTransport | null = null,
  ) {
    super();
  }

  async send(message: EmailMessage): Promise<void> {
    this.outbox.push(message);
    if (this.outbox.length > 100) this.outbox.shift();
    if (!this.transport) {
      this.logger.log(`email "${message.subject}" to ${message.to} not sent (no email backend configured)`);
      return;
    }
    const delivery = this.deliver(this.transport, { ...message, from: this.config.SENDER_EMAIL });
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  private async deliver(transport: EmailTransport, message: OutgoingEmail): Promise<void> {
    try {
      await transport.send(message);
      this.logger.log(`email "${message.subject}" to ${message.to} sent via ${transport.description}`);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.logger.warn(
        `email "${message.subject}" to ${message.to} could not be sent via ${transport.description}: ${reason}`,
      );
    }
  }

  /** Resolves when every delivery started so far has finished (sent or failed). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  async onApplicationShutdown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.idle(),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_WAIT_MS).unref())),
    ]);
    clearTimeout(timer);
    this.transport?.close?.();
  }
}
