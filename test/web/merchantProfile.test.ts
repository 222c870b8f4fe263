// The merchant console's "Profile & verification" tab in Chromium (docs/saas.md): the merchant
// sets the storefront colour, both descriptions and the support contact; submits KYC details
// (stored encrypted: the legal name is not in the row's bytes); a text file named .pdf is refused
// by content (415 document_type_refused, nothing stored); a real PDF is stored; in Chinese the
// reviewer's "more requested" reason is shown and a further document accepted.
import { expect } from "chai";
import { queryOne, sql } from "../../core/store/database.ts";
import { startTestPlatform, type TestPlatform } from "../support/platform.ts";
import { launchBrowser, signInThroughPage, watchPageErrors } from "./browser.ts";

const pdf = Buffer.from("%PDF-1.4\n%%EOF\n");

describe("merchant profile and KYC tab in Chromium (en, zh-CN)", function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform({ seed: true, keysPerProduct: 1 });
  });
  after(async () => {
    await platform?.stopAll();
  });

  const row = <T>(query: ReturnType<typeof sql>) => queryOne<T>(platform.database.db, query);

  it("saves the profile, submits KYC details and documents, and shows the reviewer's request", async () => {
    const shopId = BigInt((await row<{ id: string }>(sql`SELECT id::text FROM shops WHERE slug = 'demo'`))!.id);
    const documents = async () =>
      (await row<{ n: string }>(
        sql`SELECT count(*)::text AS n FROM kyc_documents d JOIN kyc_submissions s ON s.id = d.submission_id WHERE s.shop_id = ${shopId}`,
      ))!.n;

    const english = await launchBrowser({ locale: "en-US" });
    let submissionId: string;
    try {
      const page = await english.context.newPage();
      const errors = watchPageErrors(page);
      await signInThroughPage(page, platform.url, platform.logins.merchant, "/merchant");
      await page.getByTestId("merchant-tab-profile").click();
      await page.getByRole("heading", { name: "Shop profile" }).waitFor();
      await page.getByTestId("profile-colour").fill("#aa3311");
      await page.getByLabel("Description (Chinese)").fill("正版游戏卡密，秒发货。");
      await page.getByLabel("Description (English)").fill("Genuine game keys, delivered at once.");
      await page.getByLabel("Support contact").fill("help@demo.example");
      await page.getByRole("button", { name: "Save the profile" }).click();
      await page.getByTestId("profile-saved").waitFor();
      const profile = await row(sql`SELECT colour, description_zh, description_en, support_contact FROM shops WHERE id = ${shopId}`);
      expect(profile).to.deep.equal({
        colour: "#aa3311",
        description_zh: "正版游戏卡密，秒发货。",
        description_en: "Genuine game keys, delivered at once.",
        support_contact: "help@demo.example",
      });

      const kyc = page.getByTestId("kyc-section");
      // The level shown is the shop's, as the database holds it.
      const level = (await row<{ v: string }>(sql`SELECT verification_level AS v FROM shops WHERE id = ${shopId}`))!.v;
      await kyc.locator(`[data-testid="kyc-level"][data-level="${level}"]`).waitFor();
      await kyc.getByText("Nothing submitted yet").waitFor();
      await kyc.getByLabel("Business", { exact: true }).check();
      await kyc.getByLabel("Legal name").fill("Wang Wu");
      await kyc.getByLabel("ID number").fill("ID-7788");
      await kyc.getByLabel("Country").fill("cn");
      await kyc.getByLabel("Address").fill("8 Huaihai Rd, Shanghai");
      await kyc.getByLabel("Business name").fill("Wang Keys Ltd");
      await kyc.getByLabel("Business registration number").fill("91310000MA1K");
      await kyc.getByRole("button", { name: "Submit for review" }).click();
      await kyc.getByText("Waiting for review").waitFor();
      const submission = await row<{ id: string; level_requested: string; status: string; plain: boolean }>(
        sql`SELECT id::text, level_requested, status, position(convert_to('Wang Wu', 'UTF8') in details_encrypted) > 0 AS plain FROM kyc_submissions WHERE shop_id = ${shopId}`,
      );
      expect(submission).to.include({ level_requested: "business", status: "pending", plain: false });
      submissionId = submission!.id;

      // A text file that calls itself a PDF: refused by content, nothing stored.
      await kyc.getByTestId("kyc-document-file").setInputFiles({ name: "id.pdf", mimeType: "application/pdf", buffer: Buffer.from("not a pdf at all") });
      await kyc.getByRole("button", { name: "Upload the document" }).click();
      await kyc.locator('[data-testid="error-notice"][data-code="document_type_refused"]').waitFor();
      expect(await documents()).to.equal("0");

      await kyc.getByTestId("kyc-document-file").setInputFiles({ name: "id.pdf", mimeType: "application/pdf", buffer: pdf });
      await kyc.getByRole("button", { name: "Upload the document" }).click();
      await kyc.getByText("1 document(s)").waitFor();
      const stored = await row<{ kind: string; content_type: string; size_bytes: number }>(
        sql`SELECT kind, content_type, size_bytes FROM kyc_documents WHERE submission_id = ${BigInt(submissionId)}`,
      );
      expect(stored).to.deep.equal({ kind: "identity", content_type: "application/pdf", size_bytes: pdf.length });
      expect(errors).to.deep.equal([]);
    } finally {
      await english.close();
    }

    // A reviewer asks for more (recorded directly: the review screen has its own suite).
    await platform.database.db.execute(sql`UPDATE kyc_submissions SET status = 'more_requested' WHERE id = ${BigInt(submissionId)}`);
    const adminId = BigInt((await row<{ id: string }>(sql`SELECT id::text FROM accounts WHERE email = ${platform.logins.admin.email}`))!.id);
    await platform.database.db.execute(
      sql`INSERT INTO kyc_decisions (submission_id, decision, reason, reviewer_id) VALUES (${BigInt(submissionId)}, 'request_more', '请补充营业执照。', ${adminId})`,
    );

    const chinese = await launchBrowser({ locale: "zh-CN" });
    try {
      const page = await chinese.context.newPage();
      const errors = watchPageErrors(page);
      await signInThroughPage(page, platform.url, platform.logins.merchant, "/merchant/profile");
      const kyc = page.getByTestId("kyc-section");
      await kyc.getByText("需补充材料").first().waitFor();
      await kyc.getByText("要求补充材料: 请补充营业执照。").waitFor();
      await kyc.getByLabel("证件类型").selectOption("business_licence");
      await kyc.getByTestId("kyc-document-file").setInputFiles({ name: "licence.pdf", mimeType: "application/pdf", buffer: pdf });
      await kyc.getByRole("button", { name: "上传证件" }).click();
      await kyc.getByText("2 份证件").waitFor();
      expect(await documents()).to.equal("2");
      expect(errors).to.deep.equal([]);
    } finally {
      await chinese.close();
    }
  });
});
