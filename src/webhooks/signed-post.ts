import { createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { PermanentJobError } from '../jobs/job-worker.service';
import { AddressGuard, InternalAddressError } from '../outbound/address-guard';

/** Flagsmith's header: hex HMAC-SHA256 of the raw body, keyed with the webhook's secret. */
export const SIGNATURE_HEADER = 'X-Flagsmith-Signature';

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

const TIMEOUT_MS = 10_000;
/** How much of a response is read before the connection is dropped: only the status matters. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs a JSON body signed with `secret` (unsigned when it is '') to an address the guard allows (a literal host
 * checked here, a name resolved and checked by the guard's lookup, which the connection then uses) and answers the
 * receiver's status, whatever it is. Follows no redirect, gives up after 10 s (Flagsmith's timeout), reads at most
 * 64 KiB of the answer. Rejects with RefusedDeliveryError for a refused address and RetryableDeliveryError when
 * no answer came.
 */
export async function sendSignedJson(
  guard: AddressGuard,
  url: string,
  body: string,
  secret: string,
): Promise<number> {
  const target = new URL(url);
  const literal = AddressGuard.literalHost(target);
  if (literal !== null && !guard.permits(literal))
    throw new RefusedDeliveryError(`${literal}: refused, an internal address`);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
  };
  if (secret) headers[SIGNATURE_HEADER] = signPayload(body, secret);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const options = { method: 'POST', headers, timeout: TIMEOUT_MS, lookup: guard.lookup() };
    const req = send(target, options, (res) => {
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > MAX_RESPONSE_BYTES) res.destroy();
      });
      const settle = () => resolve(res.statusCode ?? 0);
      res.on('end', settle);
      res.on('close', settle); // destroyed after the cap: the status is known
    });
    req.on('timeout', () => req.destroy(new RetryableDeliveryError(`no answer within ${TIMEOUT_MS} ms`)));
    req.on('error', (err) => {
      if (err instanceof RetryableDeliveryError) reject(err);
      else if (err instanceof InternalAddressError)
        reject(new RefusedDeliveryError(`refused: ${err.message}`));
      else reject(new RetryableDeliveryError(err.message));
    });
    req.end(body);
  });
}

/** A delivery: sendSignedJson where only a 2xx succeeds, a 5xx is retried and any other answer is final. */
export async function postSignedJson(
  guard: AddressGuard,
  url: string,
  body: string,
  secret: string,
): Promise<PostResult> {
  const status = await sendSignedJson(guard, url, body, secret);
  if (status >= 200 && status < 300) return { status };
  if (status >= 500) throw new RetryableDeliveryError(`receiver answered ${status}`, status);
  throw new RefusedDeliveryError(`receiver answered ${status}`, status);
}
