// The font receipt and statement PDFs are set in: WenQuanYi Micro Hei (Debian's
// fonts-wqy-microhei), which covers Chinese and Latin text. A .ttc holds several faces; pdfkit
// opens one by its PostScript name. Without the file the PDF routes answer 503
// `receipt_font_missing` rather than a PDF whose Chinese text is missing.
import { existsSync } from "node:fs";
import { AppError } from "../../../core/errors.ts";

export const receiptFontPath = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";
// The face inside the .ttc, by its PostScript name (what pdfkit's fontkit looks a face up by).
export const receiptFontFamily = "WenQuanYiMicroHei";

export function assertReceiptFont(): { path: string; family: string } {
  if (!existsSync(receiptFontPath)) {
    throw new AppError(
      "receipt_font_missing",
      `PDFs need the font ${receiptFontPath} (Debian package fonts-wqy-microhei); ask the operator to install it. The HTML format works without it.`,
    );
  }
  return { path: receiptFontPath, family: receiptFontFamily };
}
