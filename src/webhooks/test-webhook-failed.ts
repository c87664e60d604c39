import { DomainError } from '../common/domain-errors';

/** 400 with Flagsmith's test-webhook error body: `{detail, body, status?}` (the receiver's status, if it answered). */
export class TestWebhookFailed extends DomainError {
  readonly status = 400;
  constructor(private readonly answer: { detail: string; body: string; status?: number }) {
    super(answer.detail);
    this.name = 'TestWebhookFailed';
  }
  body(): object {
    return { ...this.answer };
  }
}
