// Attachments in the envelope format (pure, no services): binary bytes survive the round trip
// unchanged (decryptBytes, not the UTF-8 decryptSecret, which would mangle a PNG), the AAD is
// the documented string, and a ciphertext moved to another ticket or message fails to open.
// Opened and sealed on the other side with node:crypto alone, so the format is checked against
// an implementation that is not the module's.
import { expect } from "chai";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { AppError } from "../../core/errors.ts";
import { decryptBytes, encryptSecret, ticketAttachmentAad } from "../../api/keys/envelope.ts";

const notUtf8 = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28]);

describe("keys: ticket attachments in the envelope format", () => {
  it("names the shop, ticket and message in the AAD, as docs/support.md writes it", () => {
    expect(ticketAttachmentAad({ shopId: 7n, ticketId: 42n, messageId: 9001n })).to.equal("keyledger/ticket-attachment/v1|shop=7|ticket=42|message=9001");
  });

  it("round-trips bytes that are not UTF-8, and node:crypto opens what the module sealed", () => {
    const key = randomBytes(32);
    const aad = ticketAttachmentAad({ shopId: 1n, ticketId: 2n, messageId: 3n });
    const sealed = encryptSecret(key, notUtf8, aad);
    expect(decryptBytes(key, sealed, aad).equals(notUtf8)).to.equal(true);
    const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(1, 13));
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    expect(Buffer.concat([decipher.update(sealed.subarray(13, sealed.length - 16)), decipher.final()]).equals(notUtf8)).to.equal(true);
  });

  it("opens what node:crypto sealed, and refuses it under another ticket's or message's AAD", () => {
    const key = randomBytes(32);
    const iv = randomBytes(12);
    const aad = "keyledger/ticket-attachment/v1|shop=1|ticket=2|message=3";
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(Buffer.from(aad, "utf8"));
    const sealed = Buffer.concat([Buffer.of(0x01), iv, cipher.update(notUtf8), cipher.final(), cipher.getAuthTag()]);
    expect(decryptBytes(key, sealed, aad).equals(notUtf8)).to.equal(true);
    for (const other of [
      ticketAttachmentAad({ shopId: 1n, ticketId: 4n, messageId: 3n }),
      ticketAttachmentAad({ shopId: 1n, ticketId: 2n, messageId: 5n }),
      ticketAttachmentAad({ shopId: 6n, ticketId: 2n, messageId: 3n }),
    ]) {
      let caught: unknown;
      try {
        decryptBytes(key, sealed, other);
      } catch (error) {
        caught = error;
      }
      expect(caught, other).to.be.instanceOf(AppError);
      expect((caught as AppError).details).to.deep.equal({ reason: "authentication_failed" });
    }
  });
});
