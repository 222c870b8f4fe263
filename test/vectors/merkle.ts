// Key commitments, leaf hashes, batch trees, proofs and multiproofs computed by
// @openzeppelin/merkle-tree itself (StandardMerkleTree, its ABI encoder and its keccak256 from
// ethereum-cryptography), the reference that core/keys/leaf.ts and core/keys/batchMerkle.ts
// must agree with byte for byte (docs/certificate.md). Nothing here imports the project's code.
//
// Regenerate with: node test/vectors/merkle.ts > test/vectors/merkle.json
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { keccak256 } from "@openzeppelin/merkle-tree/dist/hashes.js";

const encoding = ["uint256", "address", "uint64", "uint64", "uint32", "bytes32"];
const registry = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

function utf8Hex(text: string): string {
  return Buffer.from(text, "utf8").toString("hex");
}

/** keccak256(salt || utf8(secret)), the commitment of docs/certificate.md. */
function commitment(saltHex: string, secret: string): string {
  return keccak256(`${saltHex}${utf8Hex(secret)}`);
}

function saltOf(index: number): string {
  return keccak256(`0x${utf8Hex(`salt-${index}`)}`);
}

type Leaf = [string, string, string, string, string, string];

const commitments = [
  { salt: saltOf(0), secret: "ABCD-EFGH-0000" },
  { salt: saltOf(1), secret: "点卡-密钥-1" },
  { salt: `0x${"00".repeat(32)}`, secret: "" },
].map((entry) => ({ ...entry, commitment: commitment(entry.salt, entry.secret) }));

// Single leaves at the edges of each field's range.
const edgeLeaves: Leaf[] = [
  ["31337", registry, "1", "1", "0", commitments[0]!.commitment],
  [
    (2n ** 256n - 1n).toString(),
    "0xffffffffffffffffffffffffffffffffffffffff",
    (2n ** 64n - 1n).toString(),
    (2n ** 64n - 1n).toString(),
    (2 ** 32 - 1).toString(),
    `0x${"ff".repeat(32)}`,
  ],
  ["1", "0x0000000000000000000000000000000000000001", "0", "0", "1", commitments[1]!.commitment],
];

const trees = [1, 2, 3, 5, 8, 13].map((count) => {
  const keys = Array.from({ length: count }, (_, leafIndex) => ({ salt: saltOf(100 * count + leafIndex), secret: `K-${count}-${leafIndex}` }));
  const leaves: Leaf[] = keys.map(({ salt, secret }, leafIndex) => [
    "31337",
    registry,
    "42",
    String(1000 + count),
    String(leafIndex),
    commitment(salt, secret),
  ]);
  const tree = StandardMerkleTree.of(leaves, encoding, { sortLeaves: false });
  const multiIndexes = [...new Set([0, count - 1, Math.floor(count / 2)])];
  return {
    count,
    keys,
    leaves,
    leafHashes: leaves.map((leaf) => tree.leafHash(leaf)),
    root: tree.root,
    tree: tree.dump().tree,
    proofs: leaves.map((_, index) => tree.getProof(index)),
    multiProof: { indexes: multiIndexes, ...tree.getMultiProof(multiIndexes) },
  };
});

console.log(
  JSON.stringify(
    {
      generatedBy: "node test/vectors/merkle.ts (@openzeppelin/merkle-tree StandardMerkleTree, sortLeaves: false)",
      encoding,
      commitments,
      edgeLeaves: edgeLeaves.map((leaf) => ({ leaf, leafHash: StandardMerkleTree.of([leaf], encoding).leafHash(leaf) })),
      trees,
    },
    null,
    2,
  ),
);
