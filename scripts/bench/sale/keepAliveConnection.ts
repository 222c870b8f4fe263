// One benchmark buyer's HTTP/1.1 connection: requests one at a time over one kept-alive
// socket, each written with one write, each answer read by its Content-Length (or chunks).
// The buyers share the 2 cores with the platform they measure, so what they spend is taken
// from it: node:http cost about 1.5 ms of CPU per order here (4 requests: the checkout, the
// notification and the long polls), 10% of the whole machine's work per order; fetch twice
// that. This client does only what the benchmark's requests need.
import net from "node:net";

export type HttpAnswer = { status: number; text: string };

type Pending = { resolve(answer: HttpAnswer): void; reject(error: Error): void };

const headerEnd = Buffer.from("\r\n\r\n");

export class KeepAliveConnection {
  private socket: net.Socket | undefined;
  private received: Buffer = Buffer.alloc(0);
  private pending: Pending | undefined;
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port || 80);
  }

  request(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<HttpAnswer> {
    if (this.pending) return Promise.reject(new Error("one request at a time on a KeepAliveConnection"));
    const socket = this.socket ?? this.connect();
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.host}:${this.port}\r\n`;
    for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
    if (body !== undefined) head += `content-length: ${Buffer.byteLength(body)}\r\n`;
    return new Promise<HttpAnswer>((resolve, reject) => {
      this.pending = { resolve, reject };
      socket.write(body === undefined ? `${head}\r\n` : `${head}\r\n${body}`);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private connect(): net.Socket {
    const socket = net.createConnection({ host: this.host, port: this.port, noDelay: true });
    this.socket = socket;
    this.received = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      this.received = this.received.length ? Buffer.concat([this.received, chunk]) : chunk;
      this.tryAnswer();
    });
    const fail = (error: Error) => {
      if (this.socket === socket) this.socket = undefined;
      const pending = this.pending;
      this.pending = undefined;
      pending?.reject(error);
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("connection closed before the answer")));
    return socket;
  }

  private tryAnswer(): void {
    const end = this.received.indexOf(headerEnd);
    if (end < 0 || !this.pending) return;
    const head = this.received.subarray(0, end).toString("latin1");
    const status = Number(head.slice(9, 12));
    const lower = head.toLowerCase();
    const bodyStart = end + 4;
    let body: Buffer | undefined;
    let consumed = 0;
    const length = /\r\ncontent-length: *(\d+)/.exec(lower);
    if (length) {
      const size = Number(length[1]);
      if (this.received.length - bodyStart < size) return;
      body = this.received.subarray(bodyStart, bodyStart + size);
      consumed = bodyStart + size;
    } else if (lower.includes("\r\ntransfer-encoding: chunked")) {
      const parts: Buffer[] = [];
      let at = bodyStart;
      for (;;) {
        const lineEnd = this.received.indexOf("\r\n", at);
        if (lineEnd < 0) return;
        const size = parseInt(this.received.subarray(at, lineEnd).toString("latin1"), 16);
        if (this.received.length < lineEnd + 2 + size + 2) return;
        if (size === 0) {
          consumed = lineEnd + 4;
          break;
        }
        parts.push(this.received.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
      body = Buffer.concat(parts);
    } else {
      body = Buffer.alloc(0);
      consumed = bodyStart;
    }
    const text = body.toString("utf8");
    this.received = this.received.subarray(consumed);
    const pending = this.pending;
    this.pending = undefined;
    if (/\r\nconnection: *close/.test(lower)) this.close();
    pending.resolve({ status, text });
  }
}
