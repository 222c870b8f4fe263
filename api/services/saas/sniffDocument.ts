// Decides a KYC document's or a logo's type from its bytes, never from what the uploader
// declared: PNG and JPEG by their magic bytes, PDF by its "%PDF-" header. A declared type (other
// than a generic one) that disagrees with the content is refused, so a file cannot lie about its
// type either way. Pure: no I/O.
import { AppError } from "../../../core/errors.ts";

export type DocumentType = "image/png" | "image/jpeg" | "application/pdf";

const startsWith = (bytes: Uint8Array, prefix: readonly number[]) => bytes.length >= prefix.length && prefix.every((byte, index) => bytes[index] === byte);

export function documentTypeOf(bytes: Uint8Array): DocumentType | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d])) return "application/pdf";
  return undefined;
}

/** The document's type, checked against `allowed` and against the declared Content-Type. */
export function sniffDocument(bytes: Uint8Array, declaredType: string | undefined, allowed: readonly DocumentType[]): DocumentType {
  if (bytes.length === 0) throw new AppError("validation_failed", "The file is empty.");
  const found = documentTypeOf(bytes);
  if (!found || !allowed.includes(found)) {
    throw new AppError("document_type_refused", `The file's content is not ${allowed.join(", ")}. Send a scan or photo in one of these types.`, {
      details: { allowed, found: found ?? null },
    });
  }
  const declared = declaredType?.split(";")[0]?.trim().toLowerCase();
  if (declared && declared !== "application/octet-stream" && declared !== found) {
    throw new AppError(
      "document_type_refused",
      `The request declares ${declared} but the content is ${found}. Send it as ${found} or application/octet-stream.`,
      {
        details: { declared, found },
      },
    );
  }
  return found;
}
