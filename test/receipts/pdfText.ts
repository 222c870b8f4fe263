// The text of a PDF, read back with pdfjs-dist (Mozilla's PDF reader, independent of pdfkit,
// which writes it): every page's text items joined, lines kept apart. Imported when first
// needed: pdfjs is an ES module that mocha's require of the suite cannot load synchronously.
export async function pdfText(bytes: Uint8Array): Promise<string> {
  const { getDocument } = await import("pdfjs-dist/legacy/build/pdf.mjs");
  const document = await getDocument({ data: new Uint8Array(bytes), useSystemFonts: false }).promise;
  const pages: string[] = [];
  for (let number = 1; number <= document.numPages; number++) {
    const content = await (await document.getPage(number)).getTextContent();
    pages.push(content.items.map((item) => ("str" in item ? item.str + (item.hasEOL ? "\n" : "") : "")).join(""));
  }
  await document.destroy();
  return pages.join("\n");
}
