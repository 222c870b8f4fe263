// A tiny authoritative DNS responder over UDP for tests (RFC 1035 by hand, no library): it
// answers TXT questions from a map it is given and NXDOMAIN for every other name.
import { createSocket } from "node:dgram";

export type TestDnsServer = { port: number; txt: Map<string, string[]>; queries: string[]; stop(): Promise<void> };

export async function startDnsServer(): Promise<TestDnsServer> {
  const txt = new Map<string, string[]>();
  const queries: string[] = [];
  const socket = createSocket("udp4");
  socket.on("message", (message, remote) => {
    // Question: labels from offset 12, then type (2) and class (2).
    const labels: string[] = [];
    let offset = 12;
    while (message[offset] !== 0) {
      const length = message[offset]!;
      labels.push(message.subarray(offset + 1, offset + 1 + length).toString("ascii"));
      offset += 1 + length;
    }
    const questionEnd = offset + 5;
    const type = message.readUInt16BE(offset + 1);
    const name = labels.join(".").toLowerCase();
    queries.push(name);
    const values = type === 16 ? (txt.get(name) ?? []) : [];
    const header = Buffer.alloc(12);
    message.copy(header, 0, 0, 2);
    header.writeUInt16BE(values.length > 0 ? 0x8580 : 0x8583, 2); // response, authoritative, RD, RA; NXDOMAIN when empty
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(values.length, 6);
    const answers = values.map((value) => {
      const text = Buffer.from(value, "utf8");
      const rdata = Buffer.concat([Buffer.from([text.length]), text]);
      const fixed = Buffer.alloc(12);
      fixed.writeUInt16BE(0xc00c, 0); // the question's name
      fixed.writeUInt16BE(16, 2); // TXT
      fixed.writeUInt16BE(1, 4); // IN
      fixed.writeUInt32BE(60, 6);
      fixed.writeUInt16BE(rdata.length, 10);
      return Buffer.concat([fixed, rdata]);
    });
    socket.send(Buffer.concat([header, message.subarray(12, questionEnd), ...answers]), remote.port, remote.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return { port: socket.address().port, txt, queries, stop: () => new Promise((resolve) => socket.close(() => resolve())) };
}
