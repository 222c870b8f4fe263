// Decides a ticket attachment's type from its bytes, never from what the uploader declared,
// and refuses a file whose name claims another type than its content (an HTML page named
// "screenshot.png" is refused, not stored). Allowed: PNG, JPEG, GIF and WebP images by their
// magic bytes, and UTF-8 text without control characters that does not open like markup
// (a browser that ignored nosniff could render such text as a page). Pure: no I/O.
import { AppError } from "../../../core/errors.ts";

export type AttachmentType = "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "text/plain";

const typesByExtension: Record<string, AttachmentType> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  txt: "text/plain",
  log: "text/plain",
};

export const attachmentExtensions = Object.keys(typesByExtension);

const startsWith = (bytes: Uint8Array, prefix: readonly number[], offset = 0) =>
  bytes.length >= offset + prefix.length && prefix.every((byte, index) => bytes[offset + index] === byte);
const ascii = (text: string) => [...text].map((character) => character.charCodeAt(0));

/** The type the content shows, or undefined when it is none of the allowed ones. */
export function contentTypeOf(bytes: Uint8Array): AttachmentType | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(bytes, ascii("GIF87a")) || startsWith(bytes, ascii("GIF89a"))) return "image/gif";
  if (startsWith(bytes, ascii("RIFF")) && startsWith(bytes, ascii("WEBP"), 8)) return "image/webp";
  return isPlainText(bytes) ? "text/plain" : undefined;
}

// Tab, line feed and carriage return are text; every other C0 control, DEL and the C1 controls are not.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to refuse these in text attachments
const controlCharacter = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
// What browsers' HTML and XML sniffing looks for at the start (after white space and a BOM).
const markupStart = /^[\uFEFF\s]*</;

function isPlainText(bytes: Uint8Array): boolean {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return false;
  }
  return text.length > 0 && !controlCharacter.test(text) && !markupStart.test(text);
}

/** The extension of a file name, lower-cased, or "" when it has none. */
export function extensionOf(fileName: string): string {
  const dot = fileName.lastIndexOf(".");
  return dot <= 0 ? "" : fileName.slice(dot + 1).toLowerCase();
}

/**
 * The attachment's type, checked three ways: the content is an allowed type, the file name's
 * extension names that same type, and a declared Content-Type (other than a generic one) agrees.
 */
export function sniffAttachment(bytes: Uint8Array, fileName: string, declaredType: string | undefined): AttachmentType {
  const named = typesByExtension[extensionOf(fileName)];
  if (!named) {
    throw new AppError("attachment_type_refused", `Attachments must be named .${attachmentExtensions.join(", .")}; "${fileName}" is not.`);
  }
  const found = contentTypeOf(bytes);
  if (!found) {
    throw new AppError(
      "attachment_type_refused",
      "The file's content is not a PNG, JPEG, GIF or WebP image, nor plain UTF-8 text (text must not start with markup such as <html>). Send a screenshot or a .txt file.",
    );
  }
  if (found !== named) {
    throw new AppError("attachment_type_refused", `The file is named as ${named} but its content is ${found}. Rename it or send the file it claims to be.`, {
      details: { named, found },
    });
  }
  const declared = declaredType?.split(";")[0]?.trim().toLowerCase();
  if (declared && declared !== "application/octet-stream" && declared !== found) {
    throw new AppError(
      "attachment_type_refused",
      `The request declares ${declared} but the content is ${found}. Send it as ${found} or application/octet-stream.`,
      {
        details: { declared, found },
      },
    );
  }
  return found;
}
