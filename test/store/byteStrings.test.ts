// Byte strings (bytea) read from the store are the same on both drivers: node-postgres and
// PGlite each return a Buffer, so code written against one store cannot misread the other (a
// Uint8Array's toString("hex") is its decimal bytes joined by commas, which once made every
// anchored root look tampered on the embedded store). Expected values are SQL literals, written
// independently of the code under test.
import { expect } from "chai";
import { byteaHex } from "../../core/store/byteStrings.ts";
import { queryOne, sql } from "../../core/store/database.ts";
import { createPgliteDatabase, createServerDatabase, type TestDatabase } from "../support/database.ts";

for (const store of ["server", "pglite"] as const) {
  describe(`store: byte strings on ${store === "server" ? "the PostgreSQL server" : "PGlite"}`, () => {
    let database: TestDatabase;
    before(async () => {
      database = store === "server" ? await createServerDatabase({ poolSizeMax: 1 }) : await createPgliteDatabase();
    });
    after(async () => {
      await database?.drop();
    });

    it("reads bytea and bytea[] as Buffers whose hex is the stored bytes", async () => {
      const row = await queryOne<{ one: Buffer; many: Buffer[]; none: Buffer | null; empty: Buffer }>(
        database.db,
        sql`SELECT decode('00e7d4ff', 'hex') AS one, ARRAY[decode('01', 'hex'), decode('abcd', 'hex')] AS many, NULL::bytea AS none, ''::bytea AS empty`,
      );
      expect(Buffer.isBuffer(row!.one), "bytea is a Buffer").to.equal(true);
      expect(row!.one.toString("hex")).to.equal("00e7d4ff");
      expect(row!.many.map((item) => Buffer.isBuffer(item))).to.deep.equal([true, true]);
      expect(row!.many.map((item) => item.toString("hex"))).to.deep.equal(["01", "abcd"]);
      expect(row!.none).to.equal(null);
      expect(row!.empty.length).to.equal(0);
    });

    it("byteaHex gives the 0x-prefixed lowercase hex of what was read", async () => {
      const row = await queryOne<{ root: Uint8Array }>(database.db, sql`SELECT decode('E7D4C27BBCE89000', 'hex') AS root`);
      expect(byteaHex(row!.root)).to.equal("0xe7d4c27bbce89000");
      expect(byteaHex(new Uint8Array([231, 212, 194]))).to.equal("0xe7d4c2");
    });
  });
}
