// A minimal SMTP server (RFC 5321's happy path) on a free local port, so mail is tested over a
// real SMTP conversation with nodemailer. It records each message's envelope and data.
import { createServer, type Server } from "node:net";

export type ReceivedMail = { from: string; to: string[]; data: string };

export async function startSmtpServer(): Promise<{ port: number; messages: ReceivedMail[]; stop(): Promise<void> }> {
  const messages: ReceivedMail[] = [];
  const server: Server = createServer((socket) => {
    let buffer = "";
    let current: ReceivedMail = { from: "", to: [], data: "" };
    let inData = false;
    socket.write("220 localhost ESMTP test\r\n");
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      for (;;) {
        if (inData) {
          const end = buffer.indexOf("\r\n.\r\n");
          if (end < 0) return;
          current.data = buffer.slice(0, end);
          buffer = buffer.slice(end + 5);
          inData = false;
          messages.push(current);
          current = { from: "", to: [], data: "" };
          socket.write("250 OK queued\r\n");
          continue;
        }
        const newline = buffer.indexOf("\r\n");
        if (newline < 0) return;
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 2);
        const command = line.slice(0, 4).toUpperCase();
        if (command === "EHLO" || command === "HELO") socket.write("250-localhost\r\n250 8BITMIME\r\n");
        else if (command === "MAIL") {
          current.from = line.slice(10).trim();
          socket.write("250 OK\r\n");
        } else if (command === "RCPT") {
          current.to.push(line.slice(8).trim());
          socket.write("250 OK\r\n");
        } else if (command === "DATA") {
          inData = true;
          socket.write("354 End data with <CR><LF>.<CR><LF>\r\n");
        } else if (command === "QUIT") socket.end("221 Bye\r\n");
        else if (command === "RSET" || command === "NOOP") socket.write("250 OK\r\n");
        else socket.write("502 Not implemented\r\n");
      }
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    messages,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
