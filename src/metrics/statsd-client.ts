import { createSocket, Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';

/** Payload size that fits one Ethernet frame with IP/UDP headers (StatsD's usual limit). */
export const MAX_PACKET_BYTES = 1432;

/**
 * Fire-and-forget StatsD over UDP: lines are packed newline-separated into packets of at most MAX_PACKET_BYTES.
 * Sending never blocks or throws; a missing collector (ICMP port unreachable) is reported once through `onError`.
 */
export class StatsdClient {
  private readonly socket: Socket;
  private closed = false;
  private errorReported = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly onError: (message: string) => void = () => undefined,
  ) {
    this.socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    this.socket.on('error', (err) => this.failed(err));
    this.socket.unref();
  }

  send(lines: readonly string[]): void {
    if (this.closed || lines.length === 0) return;
    let packet = '';
    for (const line of lines) {
      if (packet && Buffer.byteLength(packet) + 1 + Buffer.byteLength(line) > MAX_PACKET_BYTES) {
        this.sendPacket(packet);
        packet = '';
      }
      packet = packet ? `${packet}\n${line}` : line;
    }
    if (packet) this.sendPacket(packet);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }

  private sendPacket(packet: string): void {
    this.socket.send(packet, this.port, this.host, (err) => {
      if (err) this.failed(err);
    });
  }

  private failed(err: Error): void {
    if (this.errorReported) return;
    this.errorReported = true;
    this.onError(`StatsD ${this.host}:${this.port}: ${err.message} (further errors are not logged)`);
  }
}
