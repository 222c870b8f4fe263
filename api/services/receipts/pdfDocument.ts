// PDF documents (receipts, statements) with pdfkit, set in the CJK font (receiptFont.ts) so
// Chinese and Latin text both show. Missing font: 503 receipt_font_missing before any work.
import PDFDocument from "pdfkit";
import { assertReceiptFont } from "./receiptFont.ts";

export type PdfWriter = {
  heading(text: string): void;
  line(text: string): void;
  pair(label: string, value: string): void;
  gap(): void;
};

/** Runs `write` on a fresh A4 document and resolves with the finished PDF's bytes. */
export function renderPdf(title: string, write: (pdf: PdfWriter) => void): Promise<Buffer> {
  const font = assertReceiptFont();
  const doc = new PDFDocument({ size: "A4", margin: 50, info: { Title: title, Producer: "Keyledger" } });
  doc.registerFont("body", font.path, font.family);
  doc.font("body");
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("data", (chunk: Buffer) => chunks.push(chunk));
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });
  const width = doc.page.width - 100;
  write({
    heading: (text) => {
      doc.fontSize(18).text(text, { width });
      doc.fontSize(10);
    },
    line: (text) => {
      doc.text(text, { width });
    },
    pair: (label, value) => {
      doc.text(value ? `${label}: ${value}` : label, { width });
    },
    gap: () => {
      doc.moveDown(0.6);
    },
  });
  doc.end();
  return done;
}
