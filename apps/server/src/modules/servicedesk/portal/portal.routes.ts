import multipart from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { actorOf, metaOf, type ApiInstance } from '../../../platform/http/api.ts';
import { AppError, badRequest, notFound } from '../../../platform/http/errors.ts';
import { errorResponses, idParams, problemSchema } from '../../../platform/http/schemas.ts';
import type { FilesService } from '../tickets/files.service.ts';
import type { OrgBySlug } from '../../identity/index.ts';
import type { RepliesService } from '../tickets/replies.service.ts';
import { replySchema, mobileField } from '../tickets/tickets.routes.ts';
import type { TicketsService } from '../tickets/tickets.service.ts';
import { TICKET_STATUSES } from '../servicedesk.schema.ts';

const fileSchema = z.object({ id: z.uuid(), name: z.string(), mime: z.string(), size: z.number(), sha256: z.string(), createdAt: z.string() });
export const slug = z.string().trim().min(1).max(64).regex(/^[a-z0-9][a-z0-9-]*$/, 'An organization slug');
const tokenHeader = z.looseObject({ 'x-ticket-token': z.string().min(20).max(100).describe('The token from the requester link') });
const withFile = idParams.extend({ fileId: z.uuid() });
/** A download: the file's own bytes and type (sniffed at upload). */
const binary = { description: 'The file', content: { 'application/octet-stream': { schema: z.string().meta({ format: 'binary' }) } } };

const portalTicket = z.object({
  id: z.uuid(),
  number: z.number(),
  subject: z.string(),
  description: z.string(),
  status: z.enum(TICKET_STATUSES),
  createdAt: z.string(),
  attachmentIds: z.array(z.uuid()),
  replies: z.array(z.object({ id: z.uuid(), from: z.enum(['you', 'support']), body: z.string(), attachmentIds: z.array(z.uuid()), createdAt: z.string() })),
  csat: z.object({ score: z.number(), comment: z.string() }).nullable(),
  canRate: z.boolean(),
});

function sendFile(reply: FastifyReply, out: { file: z.infer<typeof fileSchema>; bytes: Buffer }) {
  return reply
    .type(out.file.mime)
    .header('content-disposition', `attachment; filename="${out.file.name.replace(/[^\x20-\x7e]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(out.file.name)}`)
    .header('content-security-policy', "default-src 'none'; sandbox")
    .header('cache-control', 'private, no-store')
    .send(out.bytes);
}

const MULTIPART_LIMIT_CODES = new Set(['FST_FILES_LIMIT', 'FST_PARTS_LIMIT', 'FST_FIELDS_LIMIT']);

/**
 * Reads the one file part of a multipart body; a non-multipart body is a 415. Whatever else is wrong
 * with the body (cut off, no or another boundary, broken part headers, a second part) is the
 * client's: 400 or 413 problem+json, never a parser error surfacing as a 500.
 */
async function readUpload(req: FastifyRequest, maxBytes: number) {
  if (!req.isMultipart()) throw new AppError(415, 'unsupported_media_type', 'Send the file as multipart/form-data in a part named "file".');
  const onlyOne = () => badRequest('one_file_only', 'Send exactly one part: the file, named "file".', { errors: [{ path: 'file', message: 'Exactly one file part' }] });
  let file: { name: string; bytes: Buffer } | null = null;
  try {
    for await (const part of req.parts({ limits: { fileSize: maxBytes, files: 1, fields: 0, parts: 2 } })) {
      if (part.type !== 'file' || file) throw onlyOne();
      file = { name: part.filename, bytes: await part.toBuffer() };
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    const code = (err as { code?: string }).code ?? '';
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw new AppError(413, 'file_too_large', `The file is larger than the limit of ${maxBytes} bytes.`);
    if (MULTIPART_LIMIT_CODES.has(code)) throw onlyOne();
    throw badRequest('malformed_multipart', 'The multipart body is malformed or cut off: send one complete part named "file", ended by the closing boundary.');
  }
  if (!file) throw badRequest('file_missing', 'No file part in the upload.', { errors: [{ path: 'file', message: 'Required' }] });
  return file;
}

export function portalRoutes(
  api: ApiInstance,
  deps: {
    tickets: TicketsService;
    replies: RepliesService;
    files: FilesService;
    orgBySlug: OrgBySlug;
    formRateLimit: number;
    uploadUserRateLimit: number;
    uploadMaxBytes: number;
  },
) {
  const tags = ['service desk portal'];
  const limited = { rateLimit: { max: deps.formRateLimit, timeWindow: 3600_000 } };
  /**
   * Uploads: anonymous ones share the form's per-IP limit; a signed-in user or API key has its own
   * count (the limiter runs after authentication), so staff behind one address do not starve each other.
   */
  const uploadLimited = {
    rateLimit: {
      timeWindow: 3600_000,
      keyGenerator: (req: FastifyRequest) => (req.actor ? `${req.actor.type}:${req.actor.id}` : `ip:${req.ip}`),
      max: (req: FastifyRequest) => (req.actor ? deps.uploadUserRateLimit : deps.formRateLimit),
    },
  };
  // Requester link calls are keyed by a secret token; the limit stops token guessing.
  const portalLimited = { rateLimit: { max: 120, timeWindow: 60_000 } };

  api.post(
    '/tickets/public',
    {
      config: { auth: 'public', ...limited },
      schema: {
        tags,
        operationId: 'submitPublicTicket',
        summary: 'The public ticket form: no account needed; answers with the ticket number and the requester link',
        querystring: z.strictObject({ org: slug }),
        body: z.strictObject({
          name: z.string().trim().min(1).max(200),
          email: z.email().max(254),
          mobile: mobileField.optional(),
          subject: z.string().trim().min(1).max(300),
          description: z.string().trim().min(1).max(50_000),
          category: z.string().trim().min(1).max(100).optional(),
          attachmentIds: z.array(z.uuid()).max(10).optional(),
          website: z.string().max(500).optional().describe('Honeypot: must stay empty'),
        }),
        response: {
          201: z.object({ id: z.uuid(), number: z.number(), status: z.enum(TICKET_STATUSES), token: z.string(), link: z.string() }),
          ...errorResponses,
        },
      },
    },
    async (req, reply) => reply.code(201).send(await deps.tickets.createPublic({ ...req.body, org: req.query.org }, metaOf(req))),
  );

  // Multipart is parsed for the upload route only (its own encapsulated scope); every other route stays JSON-only.
  void api.register(async (scope: ApiInstance) => {
    await scope.register(multipart, { limits: { fileSize: deps.uploadMaxBytes, files: 1, fields: 0, parts: 2 }, throwFileSizeLimit: true });
    scope.post(
      '/upload',
      {
        config: { auth: 'public', ...uploadLimited },
        schema: {
          tags,
          operationId: 'uploadFile',
          summary:
            'Upload one file (multipart/form-data, part "file"); the type is sniffed from the content. Anonymous uploads name the org (?org=slug), or the ticket of a requester link (?ticket=id with its X-Ticket-Token header)',
          querystring: z.strictObject({ org: slug.optional(), ticket: z.uuid().optional().describe('A ticket id; the X-Ticket-Token header must hold its link token') }),
          consumes: ['multipart/form-data'],
          response: { 201: fileSchema, 413: problemSchema, 415: problemSchema, 422: problemSchema, ...errorResponses },
        },
      },
      async (req, reply) => {
        let orgId: string;
        if (req.actor) orgId = req.actor.orgId;
        else if (req.query.ticket) {
          // The requester portal: the link names the ticket, not the org, so the token proves which org.
          const token = req.headers['x-ticket-token'];
          if (typeof token !== 'string' || token.length < 20 || token.length > 100) {
            throw badRequest('token_required', 'Uploads for a ticket need its link token in the X-Ticket-Token header.', { errors: [{ path: 'x-ticket-token', message: 'Required' }] });
          }
          orgId = await deps.replies.verifyLink(req.query.ticket, token);
        } else {
          if (!req.query.org) throw badRequest('org_required', 'Anonymous uploads must name the organization (?org=slug).', { errors: [{ path: 'org', message: 'Required' }] });
          const org = await deps.orgBySlug(req.query.org);
          if (!org) throw notFound('Organization');
          orgId = org.id;
        }
        const file = await readUpload(req, deps.uploadMaxBytes);
        return reply.code(201).send(await deps.files.upload(orgId, req.actor, file, metaOf(req)));
      },
    );
  });

  api.get(
    '/files/:id',
    {
      config: { auth: 'tickets:read' },
      schema: { tags, operationId: 'downloadFile', summary: 'Download an attachment of a ticket in reach', params: idParams, response: { 200: binary, ...errorResponses } },
    },
    async (req, reply) => sendFile(reply, await deps.files.download(actorOf(req), req.params.id)),
  );

  api.get(
    '/portal/tickets/:id',
    {
      config: { auth: 'public', ...portalLimited },
      schema: {
        tags,
        operationId: 'getPortalTicket',
        summary: 'The requester’s view of their ticket (public replies only), through the signed link',
        params: idParams,
        headers: tokenHeader,
        response: { 200: portalTicket, ...errorResponses },
      },
    },
    async (req) => deps.replies.portalView(req.params.id, req.headers['x-ticket-token']),
  );

  api.post(
    '/portal/tickets/:id/replies',
    {
      config: { auth: 'public', ...portalLimited },
      schema: {
        tags,
        operationId: 'createPortalReply',
        summary: 'The requester replies through the signed link (a resolved ticket reopens)',
        params: idParams,
        headers: tokenHeader,
        body: z.strictObject({ body: z.string().trim().min(1).max(50_000), attachmentIds: z.array(z.uuid()).max(10).optional() }),
        response: { 201: replySchema, ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await deps.replies.portalReply(req.params.id, req.headers['x-ticket-token'], req.body, metaOf(req))),
  );

  api.post(
    '/portal/tickets/:id/csat',
    {
      config: { auth: 'public', ...portalLimited },
      schema: {
        tags,
        operationId: 'ratePortalTicket',
        summary: 'The requester rates a resolved ticket (1–5, once)',
        params: idParams,
        headers: tokenHeader,
        body: z.strictObject({ score: z.number().int().min(1).max(5), comment: z.string().trim().max(2000).optional() }),
        response: { 201: z.object({ score: z.number(), comment: z.string() }), ...errorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await deps.replies.rate(req.params.id, req.headers['x-ticket-token'], req.body, metaOf(req))),
  );

  api.get(
    '/portal/tickets/:id/files/:fileId',
    {
      config: { auth: 'public', ...portalLimited },
      schema: { tags, operationId: 'downloadPortalFile', summary: 'Download a file of the ticket’s public thread', params: withFile, headers: tokenHeader, response: { 200: binary, ...errorResponses } },
    },
    async (req, reply) => {
      const orgId = await deps.replies.verifyLink(req.params.id, req.headers['x-ticket-token']);
      return sendFile(reply, await deps.files.portalDownload(orgId, req.params.id, req.params.fileId));
    },
  );
}
