// The one leaf-index decoder (core/keys/leaf.ts), used by the API's issuer, the indexer and the
// certificate verifier, against answers written out by hand.
import { expect } from "chai";
import { unpackLeafIndexes } from "../../core/keys/leaf.ts";

describe("unpackLeafIndexes", () => {
  it("reads big-endian uint32s in token order", () => {
    expect(unpackLeafIndexes("0x00000005000001000000ffffffffffff")).to.deep.equal([5, 256, 65535, 4294967295]);
    expect(unpackLeafIndexes("0x")).to.deep.equal([]);
  });

  it("with the event's count, refuses any other length", () => {
    expect(unpackLeafIndexes("0x0000000100000002", 2)).to.deep.equal([1, 2]);
    expect(() => unpackLeafIndexes("0x0000000100000002", 3)).to.throw(/8 bytes for 3 tokens/);
    expect(() => unpackLeafIndexes("0x000000010000", 1)).to.throw(/6 bytes for 1 tokens/);
  });
});
