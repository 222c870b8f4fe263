// A receipt as a PDF: the same lines as the HTML (receiptLines.ts), set by pdfDocument.ts.
import { renderPdf } from "./pdfDocument.ts";
import type { Receipt } from "./receipt.ts";
import { receiptLayout } from "./receiptLines.ts";
import type { ReceiptLang } from "./receiptText.ts";

export function receiptPdf(receipt: Receipt, lang: ReceiptLang): Promise<Buffer> {
  const layout = receiptLayout(receipt, lang);
  return renderPdf(`${layout.title} ${receipt.orderId}`, (pdf) => {
    pdf.heading(layout.title);
    for (const [label, value] of layout.header) pdf.pair(label, value);
    pdf.gap();
    pdf.line(layout.itemColumns.join(" | "));
    for (const row of layout.itemRows) pdf.line(row.join(" | "));
    pdf.gap();
    for (const [label, value] of layout.breakdown) pdf.pair(label, value);
    pdf.pair(layout.total[0], layout.total[1]);
    if (layout.chain.length) {
      pdf.gap();
      pdf.line(layout.chainTitle);
      for (const [label, value] of layout.chain) pdf.pair(label, value);
    }
  });
}
