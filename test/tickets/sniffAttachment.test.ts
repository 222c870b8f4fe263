// The attachment sniffer alone (pure, no services): each allowed type by the magic bytes its
// specification gives (PNG: RFC 2083 section 12.11; JPEG: SOI FF D8 then a marker FF; GIF:
// "GIF87a"/"GIF89a"; WebP: "RIFF" size "WEBP"), and every way a file can lie about its type.
import { expect } from "chai";
import { AppError } from "../../core/errors.ts";
import { contentTypeOf, extensionOf, sniffAttachment } from "../../api/services/tickets/sniffAttachment.ts";

const bytes = (...values: number[]) => Uint8Array.from(values);
const text = (value: string) => new TextEncoder().encode(value);
const png = bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13);
const jpeg = bytes(0xff, 0xd8, 0xff, 0xe0, 0, 16);
const gif = text("GIF89a\u0001\u0000");
const webp = bytes(0x52, 0x49, 0x46, 0x46, 4, 0, 0, 0, 0x57, 0x45, 0x42, 0x50);

function refusal(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("sniffAttachment", () => {
  it("finds each allowed type by its magic bytes", () => {
    expect(contentTypeOf(png)).to.equal("image/png");
    expect(contentTypeOf(jpeg)).to.equal("image/jpeg");
    expect(contentTypeOf(gif)).to.equal("image/gif");
    expect(contentTypeOf(text("GIF87a"))).to.equal("image/gif");
    expect(contentTypeOf(webp)).to.equal("image/webp");
    expect(contentTypeOf(text("line one\r\n\tline two 中文"))).to.equal("text/plain");
  });

  it("does not take a near miss for an image", () => {
    expect(contentTypeOf(png.subarray(0, 7))).to.equal(undefined); // the signature cut short
    expect(contentTypeOf(bytes(0xff, 0xd8))).to.equal(undefined);
    expect(contentTypeOf(bytes(0x52, 0x49, 0x46, 0x46, 4, 0, 0, 0, 0x57, 0x41, 0x56, 0x45))).to.equal(undefined); // RIFF WAVE
    expect(contentTypeOf(text("GIF90a"))).to.equal("text/plain");
  });

  it("refuses text that is empty, not UTF-8, has control characters or starts with markup", () => {
    expect(contentTypeOf(new Uint8Array())).to.equal(undefined);
    expect(contentTypeOf(bytes(0xc3, 0x28))).to.equal(undefined); // an invalid UTF-8 sequence
    expect(contentTypeOf(text("a\u0000b"))).to.equal(undefined);
    expect(contentTypeOf(text("a\u001bb"))).to.equal(undefined);
    expect(contentTypeOf(text("a\u007fb"))).to.equal(undefined);
    expect(contentTypeOf(text("a\u0085b"))).to.equal(undefined);
    expect(contentTypeOf(text("<html><script>x</script>"))).to.equal(undefined);
    expect(contentTypeOf(text("\uFEFF  \n<svg onload=x>"))).to.equal(undefined);
    expect(contentTypeOf(text("price < 10, still text"))).to.equal("text/plain");
  });

  it("takes the extension case-insensitively, and a dot file has none", () => {
    expect(extensionOf("Photo.PNG")).to.equal("png");
    expect(extensionOf("archive.tar.txt")).to.equal("txt");
    expect(extensionOf(".png")).to.equal("");
    expect(extensionOf("noextension")).to.equal("");
    expect(sniffAttachment(png, "Photo.PNG", undefined)).to.equal("image/png");
    expect(sniffAttachment(jpeg, "a.jpeg", "image/jpeg")).to.equal("image/jpeg");
    expect(sniffAttachment(jpeg, "a.jpg", "application/octet-stream")).to.equal("image/jpeg");
    expect(sniffAttachment(text("notes"), "a.log", "text/plain; charset=utf-8")).to.equal("text/plain");
  });

  it("refuses a file whose name, declared type or content disagree, or whose type is not allowed", () => {
    const cases: [Uint8Array, string, string | undefined][] = [
      [text("<!DOCTYPE html><html></html>"), "photo.png", "image/png"],
      [text("plain"), "photo.png", undefined],
      [png, "notes.txt", undefined],
      [png, "photo.jpg", undefined],
      [text("plain"), "notes.txt", "image/png"],
      [png, "photo.png", "text/html"],
      [text("plain"), "page.html", undefined],
      [text("plain"), "noextension", undefined],
      [bytes(0x25, 0x50, 0x44, 0x46, 0x2d, 0x00), "doc.txt", undefined], // "%PDF-" with a NUL
    ];
    for (const [content, name, declared] of cases) {
      const error = refusal(() => sniffAttachment(content, name, declared));
      expect(error.code, `${name} as ${declared}`).to.equal("attachment_type_refused");
      expect(error.status).to.equal(415);
    }
    expect(refusal(() => sniffAttachment(text("plain"), "photo.png", undefined)).details).to.deep.equal({ named: "image/png", found: "text/plain" });
    expect(refusal(() => sniffAttachment(png, "photo.png", "Text/HTML; charset=x")).details).to.deep.equal({ declared: "text/html", found: "image/png" });
  });
});
