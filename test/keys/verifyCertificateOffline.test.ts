// The certificate verifier's offline half (core/keys/verifyCertificate.ts) without a chain or a
// database: certificates assembled from the OpenZeppelin-computed vectors
// (test/vectors/merkle.json), genuine ones at both ends of a batch, and every way one can lie.
// The on-chain half is tested against a Hardhat node in verifyCertificate.test.ts.
import { expect } from "chai";
import type { Hex } from "viem";
import { commitmentScheme, leafScheme, type Certificate } from "../../core/keys/certificateSchema.ts";
import { verifyCertificateOffline } from "../../core/keys/verifyCertificate.ts";
import { merkleVectors } from "./merkleVectors.ts";

const tree = merkleVectors.trees.find((vector) => vector.count === 5)!;

function certificateFor(index: number): Certificate {
  const values = tree.leaves[index]!;
  return {
    version: "keyledger-certificate/1",
    chain: { chainId: values[0], registry: values[1], entitlement: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512" },
    shop: { id: values[2], issuer: null },
    productId: "3",
    batch: { id: values[3], root: tree.root, keyCount: tree.count, anchor: null },
    leaf: {
      index,
      scheme: leafScheme,
      fields: ["chainId", "registry", "shopId", "batchId", "leafIndex", "commitment"],
      types: ["uint256", "address", "uint64", "uint64", "uint32", "bytes32"],
      values: [...values],
      hash: tree.leafHashes[index]!,
    },
    commitment: { scheme: commitmentScheme, salt: tree.keys[index]!.salt, value: values[5] },
    proof: tree.proofs[index]!,
    issuance: null,
  } as Certificate;
}

function statuses(verdict: ReturnType<typeof verifyCertificateOffline>): Record<string, string> {
  return Object.fromEntries(verdict.checks.map((check) => [check.name, check.status]));
}

function detailOf(verdict: ReturnType<typeof verifyCertificateOffline>, name: string): string {
  return verdict.checks.find((check) => check.name === name)!.detail;
}

const allPass = { schema: "pass", leaf_values: "pass", leaf_hash: "pass", merkle_proof: "pass" };

describe("keys: offline certificate verification (OpenZeppelin vectors)", () => {
  it("accepts genuine certificates for the first and the last leaf, with and without the key", () => {
    for (const index of [0, tree.count - 1]) {
      const certificate = certificateFor(index);
      const withoutKey = verifyCertificateOffline(certificate);
      expect(withoutKey.genuine).to.equal(true);
      expect(statuses(withoutKey)).to.deep.equal({ ...allPass, key_commitment: "skip" });
      expect(withoutKey.certificate).to.deep.equal(certificate);
      expect(detailOf(withoutKey, "schema")).to.equal("keyledger-certificate/1");
      expect(detailOf(withoutKey, "leaf_hash")).to.equal(tree.leafHashes[index]);
      expect(detailOf(withoutKey, "merkle_proof")).to.equal(`the leaf is in root ${tree.root}`);
      expect(detailOf(withoutKey, "key_commitment")).to.equal("no key given: the certificate is checked, not the key");
      const secret = tree.keys[index]!.secret;
      for (const key of [secret, `  ${secret}\n`]) {
        const withKey = verifyCertificateOffline(certificate, key);
        expect(withKey.genuine).to.equal(true);
        expect(statuses(withKey)).to.deep.equal({ ...allPass, key_commitment: "pass" });
        expect(detailOf(withKey, "key_commitment")).to.equal("keccak256(salt || key) equals the commitment");
      }
      expect(detailOf(withoutKey, "leaf_values")).to.equal("the leaf commits to this chain, registry, shop, batch, index and commitment");
    }
  });

  it("accepts a sealed certificate (version 2, no salt) as proof of inclusion and leaves the key unchecked, even when a key is given", () => {
    const certificate = certificateFor(3);
    const sealed = { ...certificate, version: "keyledger-certificate/2", commitment: { ...certificate.commitment, salt: null } };
    for (const key of [undefined, tree.keys[3]!.secret, "a wrong key"]) {
      const verdict = verifyCertificateOffline(sealed, key);
      expect(verdict.genuine, String(key)).to.equal(true);
      expect(statuses(verdict)).to.deep.equal({ ...allPass, key_commitment: "skip" });
      expect(detailOf(verdict, "key_commitment")).to.equal(
        "unchecked: this certificate carries no salt (it was made while the entitlement was sealed); the leaf and its commitment are proven, the key can be checked with the holder's certificate after reveal",
      );
    }
    // Version 1 always carried the salt: one without it is not a certificate.
    expect(verifyCertificateOffline({ ...sealed, version: "keyledger-certificate/1" }).genuine).to.equal(false);
  });

  it("reads hex in any case", () => {
    const certificate = certificateFor(2);
    const upper = (value: string) => `0x${value.slice(2).toUpperCase()}` as Hex;
    const shouted = {
      ...certificate,
      chain: { ...certificate.chain, registry: upper(certificate.chain.registry) },
      leaf: { ...certificate.leaf, hash: upper(certificate.leaf.hash), values: [...certificate.leaf.values.slice(0, 5), upper(certificate.leaf.values[5])] },
      commitment: { ...certificate.commitment, value: certificate.commitment.value.toUpperCase().replace("0X", "0x") },
    };
    expect(statuses(verifyCertificateOffline(shouted, tree.keys[2]!.secret))).to.deep.equal({ ...allPass, key_commitment: "pass" });
  });

  it("refuses another key, naming no key", () => {
    const verdict = verifyCertificateOffline(certificateFor(1), tree.keys[2]!.secret);
    expect(verdict.genuine).to.equal(false);
    expect(statuses(verdict)).to.deep.equal({ ...allPass, key_commitment: "fail" });
    expect(detailOf(verdict, "key_commitment")).to.equal("this key does not match the certificate's commitment");
  });

  it("refuses leaf values that differ from the certificate's own fields, naming each", () => {
    const base = certificateFor(3);
    const lies: [string, Certificate][] = [
      ["chainId", { ...base, chain: { ...base.chain, chainId: "1" } }],
      ["registry", { ...base, chain: { ...base.chain, registry: "0x0000000000000000000000000000000000000001" } }],
      ["shopId", { ...base, shop: { ...base.shop, id: "43" } }],
      ["batchId", { ...base, batch: { ...base.batch, id: "1" } }],
      ["leafIndex", { ...base, leaf: { ...base.leaf, index: 4 } }],
      ["commitment", { ...base, commitment: { ...base.commitment, value: `0x${"11".repeat(32)}` } }],
    ];
    for (const [field, certificate] of lies) {
      const verdict = verifyCertificateOffline(certificate);
      expect(verdict.genuine, field).to.equal(false);
      expect(statuses(verdict).leaf_values, field).to.equal("fail");
      expect(detailOf(verdict, "leaf_values")).to.equal(`the leaf's values differ from the certificate's ${field}`);
    }
    const twoLies = verifyCertificateOffline({ ...base, shop: { ...base.shop, id: "43" }, batch: { ...base.batch, id: "1" } });
    expect(detailOf(twoLies, "leaf_values")).to.equal("the leaf's values differ from the certificate's shopId, batchId");
  });

  it("refuses a wrong leaf hash and a proof that does not lead to the root", () => {
    const base = certificateFor(3);
    const wrongHash = verifyCertificateOffline({ ...base, leaf: { ...base.leaf, hash: tree.leafHashes[2]! } });
    expect(statuses(wrongHash)).to.deep.equal({ ...allPass, leaf_hash: "fail", key_commitment: "skip" });
    expect(detailOf(wrongHash, "leaf_hash")).to.equal(`the values hash to ${tree.leafHashes[3]}, not ${tree.leafHashes[2]}`);
    expect(wrongHash.genuine).to.equal(false);
    for (const proof of [tree.proofs[2]!, [...tree.proofs[3]!].reverse(), tree.proofs[3]!.slice(1), []]) {
      const verdict = verifyCertificateOffline({ ...base, proof });
      expect(statuses(verdict).merkle_proof).to.equal("fail");
      expect(detailOf(verdict, "merkle_proof")).to.equal(`the proof does not lead from the leaf to root ${tree.root}`);
      expect(verdict.genuine).to.equal(false);
    }
    const otherRoot = merkleVectors.trees.find((vector) => vector.count === 8)!.root;
    expect(statuses(verifyCertificateOffline({ ...base, batch: { ...base.batch, root: otherRoot } })).merkle_proof).to.equal("fail");
  });

  it("refuses what is not a certificate, listing at most ten problems", () => {
    const verdict = verifyCertificateOffline({ version: "keyledger-certificate/1" });
    expect(verdict.genuine).to.equal(false);
    expect(verdict.certificate).to.equal(undefined);
    expect(verdict.checks).to.have.length(1);
    expect(verdict.checks[0]!.name).to.equal("schema");
    expect(verdict.checks[0]!.status).to.equal("fail");
    const detail = verdict.checks[0]!.detail;
    expect(detail.startsWith("not a keyledger-certificate/1 or /2: chain: ")).to.equal(true);
    expect(detail.split("; ")).to.have.length(8);
    const base = certificateFor(0);
    const many = verifyCertificateOffline({ ...base, proof: Array.from({ length: 12 }, () => "0x12") });
    expect(detailOf(many, "schema").split("; ")).to.have.length(10);
    expect(detailOf(many, "schema")).to.include("proof.0: ");
    expect(detailOf(verifyCertificateOffline(null), "schema")).to.match(/^not a keyledger-certificate\/1 or \/2: \(root\): /);
  });

  it("fails, instead of throwing, for leaf values that do not fit their ABI types", () => {
    const base = certificateFor(0);
    const tooBig = (2n ** 64n).toString();
    const values = [...base.leaf.values] as Certificate["leaf"]["values"];
    values[2] = tooBig;
    const verdict = verifyCertificateOffline({ ...base, shop: { ...base.shop, id: tooBig }, leaf: { ...base.leaf, values } });
    expect(verdict.genuine).to.equal(false);
    expect(statuses(verdict)).to.deep.equal({ ...allPass, leaf_hash: "fail", merkle_proof: "fail", key_commitment: "skip" });
    expect(detailOf(verdict, "leaf_hash")).to.equal("the leaf's values do not fit their types (uint256, address, uint64, uint64, uint32, bytes32)");
  });
});
