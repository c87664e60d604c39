import { BadRequestException, PayloadTooLargeException } from '@nestjs/common';
import { Busboy, type BusboyInstance } from '@fastify/busboy';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { unsafeTextError } from './body-parsers';

/**
 * multipart/form-data, as DRF's MultiPartParser reads it (Flagsmith parses it on every route): text fields become
 * strings (a repeated name a list, as in a form body), file parts an UploadedFile. The whole body is bounded by
 * the server's body limit (413 past it, as a JSON body); a part is never spilled to disk.
 */
export class UploadedFile {
  constructor(
    /** The part's filename ('' when the part named none). */
    readonly name: string,
    readonly contentType: string,
    readonly content: Buffer,
  ) {}

  get size(): number {
    return this.content.length;
  }
}

export type MultipartBody = Record<string, string | string[] | UploadedFile>;

const MALFORMED = 'Multipart form parse error - Invalid boundary in multipart: None';

export function parseMultipartBody(
  payload: Readable,
  headers: IncomingHttpHeaders,
  bodyLimit: number,
): Promise<MultipartBody> {
  return new Promise((resolve, reject) => {
    let busboy: BusboyInstance;
    try {
      busboy = new Busboy({
        headers: headers as never,
        limits: { fileSize: bodyLimit, fieldSize: bodyLimit },
      });
    } catch {
      reject(new BadRequestException({ detail: MALFORMED }));
      return;
    }
    const fields = new Map<string, string | string[] | UploadedFile>();
    let received = 0;
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      payload.unpipe(busboy);
      payload.resume();
      reject(err);
    };
    payload.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > bodyLimit) fail(new PayloadTooLargeException());
    });
    payload.on('error', fail);
    busboy.on('field', (name: string, value: string) => {
      const seen = fields.get(name);
      if (seen === undefined || seen instanceof UploadedFile) fields.set(name, value);
      else fields.set(name, Array.isArray(seen) ? [...seen, value] : [seen, value]);
    });
    busboy.on(
      'file',
      (name: string, stream: Readable, filename: string | undefined, _enc: string, mime: string) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('limit', () => fail(new PayloadTooLargeException()));
        stream.on('end', () => {
          // DRF keeps the last file of a name.
          fields.set(name, new UploadedFile(filename ?? '', mime ?? '', Buffer.concat(chunks)));
        });
      },
    );
    busboy.on('error', () => fail(new BadRequestException({ detail: MALFORMED })));
    busboy.on('finish', () => {
      if (failed) return;
      const body: MultipartBody = Object.fromEntries(fields);
      const texts = Object.fromEntries([...fields].filter(([, v]) => !(v instanceof UploadedFile)));
      const unsafe = unsafeTextError(texts);
      if (unsafe) reject(unsafe);
      else resolve(body);
    });
    payload.pipe(busboy);
  });
}

/** DRF FileField's messages. */
export const FILE_MESSAGES = {
  required: 'No file was submitted.',
  invalid: 'The submitted data was not a file. Check the encoding type on the form.',
  noName: 'No filename could be determined.',
  empty: 'The submitted file is empty.',
} as const;

/** DRF FileField.to_internal_value: an uploaded file with a name and some content. */
export function readUploadedFile(raw: unknown): { value: UploadedFile } | { error: string[] } {
  if (!(raw instanceof UploadedFile)) return { error: [FILE_MESSAGES.invalid] };
  if (raw.name === '') return { error: [FILE_MESSAGES.noName] };
  if (raw.size === 0) return { error: [FILE_MESSAGES.empty] };
  return { value: raw };
}
