import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { createServer as createTlsServer } from 'node:tls';
import { ClarusScp, type DimseLogger, type DimseServices } from './clarus-scp.ts';
import { dimseLog, Implementation } from './dimse-library.ts';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION } from './part10-header.ts';

export interface DimseListenerSettings {
  /** 0 picks a free port (tests). */
  port: number;
  /** The address to bind: loopback unless configured (dcmjs-dimse's own Server binds every interface). */
  host: string;
  /** Clarus's called AE title. */
  aeTitle: string;
  maxAssociations: number;
  /** The upload limit (ING-2), applied to every C-STORE data set. */
  maxBytes: number;
  /** DICOM TLS (PS3.15 §B.9): TLS 1.2 or later; with `ca`, peers must present a certificate it signed. */
  tls?: { cert: Buffer; key: Buffer; ca?: Buffer } | undefined;
}

/**
 * PS3.15 §B.9 (BCP 195 TLS profile, RFC 9325 §4.2): TLS 1.2 only with forward-secret AEAD suites;
 * TLS 1.3 suites are all acceptable and configured apart by Node.
 */
const bcp195Ciphers = [
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305', 'DHE-RSA-AES128-GCM-SHA256', 'DHE-RSA-AES256-GCM-SHA384',
].join(':');

/**
 * The DIMSE listener (DCM-2): our own TCP or TLS server, bound to the configured address, handing
 * each accepted connection to a ClarusScp (dcmjs-dimse's association state machine). Stopping stops
 * accepting, lets operations in progress finish for a grace period, then closes what is left.
 */
export class DimseListener {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly work = new Set<Promise<unknown>>();

  constructor(private readonly settings: DimseListenerSettings, private readonly services: DimseServices, private readonly log: DimseLogger) {}

  async start(): Promise<{ host: string; port: number; tls: boolean }> {
    // The library logs data set and command contents at info level: it stays silent, we log ids.
    dimseLog.setLevel('silent');
    Implementation.setImplementationClassUid(IMPLEMENTATION_CLASS_UID);
    Implementation.setImplementationVersion(IMPLEMENTATION_VERSION);
    const { tls } = this.settings;
    const server = tls
      ? createTlsServer({ cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {}), minVersion: 'TLSv1.2', ciphers: bcp195Ciphers, honorCipherOrder: true }, (socket) => this.accept(socket))
      : createTcpServer({ noDelay: true }, (socket) => this.accept(socket));
    if (tls) server.on('tlsClientError', () => this.log.warn({ channel: 'dimse' }, 'DIMSE TLS handshake failed'));
    server.maxConnections = this.settings.maxAssociations;
    server.on('error', (error: Error) => this.log.error({ err: error }, 'DIMSE listener error'));
    server.listen({ port: this.settings.port, host: this.settings.host });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    this.log.info({ host: address.address, port: address.port, tls: Boolean(tls) }, 'DIMSE listener started');
    return { host: address.address, port: address.port, tls: Boolean(tls) };
  }

  private accept(socket: Socket): void {
    // Without TCP_NODELAY every response waits for the peer's delayed ACK (~40 ms per C-STORE).
    socket.setNoDelay(true);
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const scp = new ClarusScp(socket, {
      services: this.services, log: this.log, aeTitle: this.settings.aeTitle, maxBytes: this.settings.maxBytes,
      track: (work) => {
        this.work.add(work);
        void work.finally(() => this.work.delete(work)).catch(() => undefined);
      },
    });
    // As dcmjs-dimse's Server does: a protocol or socket error, or a timeout, ends the connection.
    scp.on('networkError', () => socket.destroy());
  }

  /** Stops accepting, waits up to `graceMs` for operations in progress, then closes every connection. */
  async stop(graceMs = 10_000): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    if (this.work.size > 0) await Promise.race([Promise.allSettled([...this.work]), delay(graceMs)]);
    for (const socket of this.sockets) socket.destroy();
    // Closing an association records it (audit): give those entries a moment before the caller closes the log.
    if (this.work.size > 0) await Promise.race([Promise.allSettled([...this.work]), delay(Math.min(graceMs, 2000))]);
    await closed;
    this.log.info({ channel: 'dimse' }, 'DIMSE listener stopped');
  }
}
