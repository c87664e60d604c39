import { createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { PermanentJobError } from '../jobs/job-worker.service';
import { AddressGuard, InternalAddressError } from '../outbound/address-guard';

/** Flagsmith's header: hex HMAC-SHA256 of the raw body, keyed with the webhook's secret. */
export const SIGNATURE_HEADER = 'X-Flagsmith-Signature';
/**
 * flagport's addition: the id of the delivery job, the same on every attempt of one delivery (retries, and a run
 * by another process after the first died mid-POST), so a receiver can drop repeats of an at-least-once delivery.
 */
export const DELIVERY_ID_HEADER = 'X-Flagport-Delivery-Id';

export function signPayload(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('hex');
}

/** JSON with every object's keys sorted, as Flagsmith serialises a webhook body (json.dumps(sort_keys=True)). */
export function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

export interface PostResult {
  readonly status: number;
}

/**
 * The receiver did not answer (refused, reset, timed out) or answered 5xx: worth another attempt. `status`: its
 * answer, when it gave one (also on RefusedDeliveryError).
 */
export class RetryableDeliveryError extends Error {
  constructor(
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
  }
}
/** The receiver answered, but not with 2xx (and not 5xx), or the address is refused: no other attempt. */
export class RefusedDeliveryError extends PermanentJobError {
  constructor(
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

/** Flagsmith's timeout of a webhook POST (WEBHOOK_DELIVERY_TIMEOUT_MS overrides it). */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** How much of a response is read before the connection is dropped: only the status matters. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

export interface SendOptions {
  /** The whole exchange (lookup, connect, request, answer) must be over within this: 10 s by default. */
  readonly timeoutMs?: number;
  /** Sent besides content-type, content-length and the signature (e.g. the delivery id). */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * POSTs a JSON body signed with `secret` (unsigned when it is '') to an address the guard allows (a literal host
 * checked here, a name resolved and checked by the guard's lookup, which the connection then uses) and answers the
 * receiver's status, whatever it is. Follows no redirect, gives up when the whole exchange takes longer than
 * `timeoutMs` (a receiver that trickles its answer too), and reads at most 64 KiB of the answer before dropping
 * the connection (the status is known by then). Settles exactly once and never throws outside the promise: it
 * rejects with RefusedDeliveryError for a refused address and RetryableDeliveryError when no full answer came
 * (refused, reset or closed mid-answer, timed out).
 */
export async function sendSignedJson(
  guard: AddressGuard,
  url: string,
  body: string,
  secret: string,
  options: SendOptions = {},
): Promise<number> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const target = new URL(url);
  const literal = AddressGuard.literalHost(target);
  if (literal !== null && !guard.permits(literal))
    throw new RefusedDeliveryError(`${literal}: refused, an internal address`);
  const headers: Record<string, string> = {
    ...options.headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
  };
  if (secret) headers[SIGNATURE_HEADER] = signPayload(body, secret);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      outcome();
    };
    const fail = (err: unknown): void =>
      finish(() => {
        if (err instanceof RetryableDeliveryError) reject(err);
        else if (err instanceof InternalAddressError)
          reject(new RefusedDeliveryError(`refused: ${err.message}`));
        else reject(new RetryableDeliveryError(err instanceof Error ? err.message : String(err)));
      });
    // One deadline for everything: a socket idle timeout alone would let a receiver trickling bytes hold on.
    const deadline = setTimeout(() => {
      fail(new RetryableDeliveryError(`no answer within ${timeoutMs} ms`));
      req.destroy();
    }, timeoutMs);
    const options = { method: 'POST', headers, lookup: guard.lookup() };
    const req = send(target, options, (res) => {
      const status = res.statusCode ?? 0;
      let received = 0;
      let capped = false;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > MAX_RESPONSE_BYTES) {
          capped = true;
          res.destroy(); // the rest is never read: the status is all a delivery needs
        }
      });
      res.on('end', () => finish(() => resolve(status)));
      // Closed before the end: by us at the cap (the answer counts), or by the receiver (no full answer).
      const cut = (): void =>
        capped
          ? finish(() => resolve(status))
          : fail(new RetryableDeliveryError(`connection closed mid-answer (status ${status})`, status));
      res.on('close', cut);
      res.on('error', cut);
    });
    req.on('error', fail);
    req.end(body);
  });
}

/** A delivery: sendSignedJson where only a 2xx succeeds, a 5xx is retried and any other answer is final. */
export async function postSignedJson(
  guard: AddressGuard,
  url: string,
  body: string,
  secret: string,
  options: SendOptions = {},
): Promise<PostResult> {
  const status = await sendSignedJson(guard, url, body, secret, options);
  if (status >= 200 && status < 300) return { status };
  if (status >= 500) throw new RetryableDeliveryError(`receiver answered ${status}`, status);
  throw new RefusedDeliveryError(`receiver answered ${status}`, status);
}
