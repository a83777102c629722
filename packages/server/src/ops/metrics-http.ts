/**
 * The optional metrics endpoint (`--metrics-listen HOST:PORT`): a plain
 * HTTP server answering `GET /metrics` (and `HEAD`) with the Prometheus text
 * of every statistic. Clients outside its allowlist get `403`; any other path
 * `404`, any other method `405`. A failure to render answers `500` and is
 * logged; nothing a client sends stops the server.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';

/** Where and for whom the endpoint listens. */
export interface MetricsEndpointSpec {
  readonly host: string;
  readonly port: number;
  /** Whether a client address (an IP literal) is served (`CidrList.matches` of `metrics_allow_from`). */
  readonly allowed: (address: string) => boolean;
}

export interface MetricsEndpoint {
  /** `HOST:PORT` really bound (`127.0.0.1:40123`, `[::1]:40123`). */
  readonly address: string;
  close(): Promise<void>;
}

/** The text and its content type. */
export interface MetricsPage {
  readonly body: string;
  readonly contentType: string;
}

function peerAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '';
  // An IPv4 client of a dual-stack socket shows as ::ffff:a.b.c.d.
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function send(res: ServerResponse, status: number, text: string, headers = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(text);
}

/** Binds the endpoint; rejects with the bind error (EADDRINUSE …). */
export function startMetricsEndpoint(
  spec: MetricsEndpointSpec,
  page: () => MetricsPage | Promise<MetricsPage>,
  logger: Logger,
): Promise<MetricsEndpoint> {
  const server = createServer((req, res) => {
    if (!spec.allowed(peerAddress(req))) {
      send(res, 403, 'forbidden\n');
      return;
    }
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      send(res, 404, 'not found: the metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
      return;
    }
    Promise.resolve()
      .then(page)
      .then(
        ({ body, contentType }) => {
          res.writeHead(200, { 'content-type': contentType });
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (error: unknown) => {
          logger.error('metrics endpoint: cannot render the metrics', {
            error: error instanceof Error ? error : String(error),
          });
          send(res, 500, 'cannot render the metrics\n');
        },
      );
  });
  server.on('clientError', (_error, socket) => {
    socket.destroy();
  });
  // Slow or idle clients never hold the endpoint.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: spec.host, port: spec.port }, () => {
      server.off('error', reject);
      server.on('error', (error) => {
        logger.error('metrics endpoint failed', { error });
      });
      const a = server.address() as AddressInfo;
      const address = a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
      logger.info('metrics endpoint listening', { address });
      resolve({
        address,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
