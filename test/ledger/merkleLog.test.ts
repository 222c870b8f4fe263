// RFC 9162 Merkle log: proofs built for random sizes verify, and fail against a wrong root,
// a wrong size, a wrong leaf or a tampered path. Pure and fast; seeded.
import { expect } from "chai";
import fc from "fast-check";
import { createHash } from "node:crypto";
import {
  consistencyProof,
  emptyTreeHash,
  inclusionProof,
  leafHash,
  nodeHash,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
} from "../../api/ledger/merkleLog.ts";
import { testEnv } from "../support/env.ts";

const sha = (...parts: Buffer[]) => createHash("sha256").update(Buffer.concat(parts)).digest();
const leaves = Array.from({ length: 300 }, (_, i) => leafHash(sha(Buffer.from(`entry ${i}`))));
const runs = { seed: 9162, numRuns: testEnv.thorough ? 2000 : 200 };

function flipped(hash: Buffer): Buffer {
  const copy = Buffer.from(hash);
  copy[0]! ^= 1;
  return copy;
}

describe("ledger Merkle log (RFC 9162)", () => {
  it("computes MTH as the RFC defines it for small trees", () => {
    const [a, b, c] = [leaves[0]!, leaves[1]!, leaves[2]!];
    expect(treeRoot([], 0)).to.deep.equal(emptyTreeHash);
    expect(treeRoot(leaves, 1)).to.deep.equal(a);
    expect(treeRoot(leaves, 2)).to.deep.equal(sha(Buffer.from([1]), a, b));
    expect(treeRoot(leaves, 3)).to.deep.equal(nodeHash(nodeHash(a, b), c));
    expect(leafHash(Buffer.from("x"))).to.deep.equal(sha(Buffer.from([0]), Buffer.from("x")));
  });

  it("verifies inclusion for random sizes and leaves, and fails against the wrong anchor", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: leaves.length }).chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 }))),
        ([size, index]) => {
          const root = treeRoot(leaves, size);
          const path = inclusionProof(leaves, index, size);
          expect(verifyInclusion(index, size, leaves[index]!, path, root)).to.equal(true);
          expect(verifyInclusion(index, size, leaves[index]!, path, flipped(root))).to.equal(false);
          if (size > 1) {
            expect(verifyInclusion(index, size, leaves[(index + 1) % size]!, path, root)).to.equal(false);
            expect(verifyInclusion(index, size, leaves[index]!, [flipped(path[0]!), ...path.slice(1)], root)).to.equal(false);
            expect(verifyInclusion((index + 1) % size, size, leaves[index]!, path, root)).to.equal(false);
          }
          // The root of another size is another anchor: the proof must not pass against it.
          if (size < leaves.length) expect(verifyInclusion(index, size + 1, leaves[index]!, path, treeRoot(leaves, size + 1))).to.equal(false);
        },
      ),
      runs,
    );
  });

  it("verifies consistency for random size pairs, and fails against the wrong anchor", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: leaves.length }).chain((second) => fc.tuple(fc.integer({ min: 1, max: second }), fc.constant(second))),
        ([first, second]) => {
          const firstRoot = treeRoot(leaves, first);
          const secondRoot = treeRoot(leaves, second);
          const proof = consistencyProof(leaves, first, second);
          expect(verifyConsistency(first, second, firstRoot, secondRoot, proof)).to.equal(true);
          expect(verifyConsistency(first, second, flipped(firstRoot), secondRoot, proof)).to.equal(false);
          expect(verifyConsistency(first, second, firstRoot, flipped(secondRoot), proof)).to.equal(false);
          if (first < second) {
            // A log that rewrote one old entry cannot prove consistency with the old anchor.
            const rewritten = [...leaves];
            rewritten[first - 1] = flipped(rewritten[first - 1]!);
            expect(verifyConsistency(first, second, firstRoot, treeRoot(rewritten, second), consistencyProof(rewritten, first, second))).to.equal(false);
            expect(verifyConsistency(first, second, firstRoot, secondRoot, [flipped(proof[0]!), ...proof.slice(1)])).to.equal(false);
          }
        },
      ),
      runs,
    );
  });
});
