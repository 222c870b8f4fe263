// The CJK font that receipt and statement PDFs embed (api/services/receipts/receiptFont.ts):
// Debian's fonts-wqy-microhei, installed like Chromium when missing and this process is root.
import { existsSync } from "node:fs";
import { receiptFontPath } from "../../api/services/receipts/receiptFont.ts";
import type { DebianPiece } from "./debianPackages.ts";

export const cjkFontPiece: DebianPiece = {
  what: `the CJK font of receipt PDFs (${receiptFontPath})`,
  debianPackage: "fonts-wqy-microhei",
  present: () => existsSync(receiptFontPath),
};
