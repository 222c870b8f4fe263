// A shop's monthly statement as CSV or PDF (docs/saas.md, "Receipts and tax"), from the ledger's
// statement lines of that month (api/ledger/statements.ts, getShopMonthlyStatement).
import type { MonthlyStatement } from "../../ledger/statements.ts";
import { csvText } from "../csv.ts";
import { renderPdf } from "./pdfDocument.ts";
import { dateText, labelsOf, moneyText, type DecimalsOf, type ReceiptLang } from "./receiptText.ts";

const csvColumns = ["currency", "line", "date", "transaction_id", "kind", "reference_type", "reference_id", "amount_minor", "balance_after_minor"];

/**
 * One row per posting, framed per currency by an `opening` row (the balance before the month)
 * and a `closing` row (the balance at its end); amounts in minor units, dates in ISO 8601 UTC.
 */
export function monthlyStatementCsv(statement: MonthlyStatement): string {
  const rows: unknown[][] = [csvColumns];
  for (const currency of statement.currencies) {
    rows.push([currency.currency, "opening", `${statement.month}-01T00:00:00.000Z`, "", "", "", "", "", currency.openingMinor]);
    for (const line of currency.lines) {
      rows.push([
        currency.currency,
        "posting",
        line.createdAt.toISOString(),
        line.transactionId,
        line.kind,
        line.referenceType,
        line.referenceId,
        line.amountMinor,
        line.balanceAfterMinor,
      ]);
    }
    rows.push([currency.currency, "closing", "", "", "", "", "", currency.creditsMinor - currency.debitsMinor, currency.closingMinor]);
  }
  return csvText(rows);
}

export function monthlyStatementPdf(statement: MonthlyStatement, shopName: string, lang: ReceiptLang, decimalsOf: DecimalsOf): Promise<Buffer> {
  const t = labelsOf(lang);
  return renderPdf(`${t.statement} ${statement.month}`, (pdf) => {
    pdf.heading(`${t.statement} ${statement.month}`);
    pdf.pair(t.shop, shopName);
    for (const currency of statement.currencies) {
      const money = (minor: bigint) => moneyText(minor, currency.currency, decimalsOf);
      pdf.gap();
      pdf.pair(t.currency, currency.currency);
      pdf.pair(t.opening, money(currency.openingMinor));
      pdf.line([t.date, t.kind, t.reference, t.amount, t.balance].join(" | "));
      for (const line of currency.lines) {
        pdf.line(
          [dateText(line.createdAt), line.kind, `${line.referenceType} ${line.referenceId}`, money(line.amountMinor), money(line.balanceAfterMinor)].join(
            " | ",
          ),
        );
      }
      pdf.pair(t.credits, money(currency.creditsMinor));
      pdf.pair(t.debits, money(currency.debitsMinor));
      pdf.pair(t.closing, money(currency.closingMinor));
    }
  });
}
