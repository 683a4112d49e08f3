/**
 * The client listener: accepts TCP connections and hands each to a Connection. Bounded by
 * `limits.connectionsMax`; stop() closes the listener and every connection.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { limits } from '../config/limits.js';
import type { Logger } from '../logger.js';
import type { Broker } from '../broker.js';
import { Connection } from './connection.js';

export class Listener {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();

  constructor(
    private readonly broker: Broker,
    private readonly log: Logger,
    private readonly requestMaxBytes: number,
  ) {
    this.server = createServer((socket) => this.accept(socket));
  }

  private accept(socket: Socket): void {
    if (this.connections.size >= limits.connectionsMax) {
      this.log.warn(`refusing connection from ${socket.remoteAddress}: ${limits.connectionsMax} connections open`);
      socket.destroy();
      return;
    }
    const conn = new Connection(socket, this.broker, this.log, this.requestMaxBytes);
    this.connections.add(conn);
    void conn.closed.then(() => this.connections.delete(conn));
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen({ host: host === '' ? undefined : host, port }, () => {
        this.server.off('error', onError);
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
      });
    });
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections) c.close();
    await closed;
  }
}
