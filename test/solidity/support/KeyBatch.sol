// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/**
 * @title KeyBatch
 * @notice Builds a batch of LEAVES key leaves the way core/keys/leaf.ts does (OpenZeppelin
 * standard-tree leaves over chainId, registry, shop, batch, leaf index and commitment), its root
 * over a perfect binary tree with commutative hashing, and multiproofs in PackedMultiProof's
 * encoding: one leaf with its path, or the whole batch with no proof.
 * @dev The leaf and hashing rules are written out here independently of the contract, so a proof
 * the token accepts is evidence that both agree, not that a shared helper agrees with itself.
 */
library KeyBatch {
    uint32 internal constant LEAVES = 8;
    uint256 private constant DEPTH = 3;

    function commitment(uint64 batchId, uint32 leafIndex) internal pure returns (bytes32) {
        return keccak256(abi.encode("commitment", batchId, leafIndex));
    }

    function leaf(address registry, uint64 shopId, uint64 batchId, uint32 leafIndex) internal view returns (bytes32) {
        bytes32 inner =
            keccak256(abi.encode(block.chainid, registry, shopId, batchId, leafIndex, commitment(batchId, leafIndex)));
        return keccak256(bytes.concat(inner));
    }

    function levels(address registry, uint64 shopId, uint64 batchId) internal view returns (bytes32[][] memory tree) {
        tree = new bytes32[][](DEPTH + 1);
        tree[0] = new bytes32[](LEAVES);
        for (uint32 i = 0; i < LEAVES; ++i) {
            tree[0][i] = leaf(registry, shopId, batchId, i);
        }
        for (uint256 level = 1; level <= DEPTH; ++level) {
            uint256 width = LEAVES >> level;
            tree[level] = new bytes32[](width);
            for (uint256 i = 0; i < width; ++i) {
                tree[level][i] = hashPair(tree[level - 1][2 * i], tree[level - 1][2 * i + 1]);
            }
        }
    }

    function root(address registry, uint64 shopId, uint64 batchId) internal view returns (bytes32) {
        return levels(registry, shopId, batchId)[DEPTH][0];
    }

    /// @notice Arguments of `issue` for one leaf: its commitment and its path (every flag zero).
    function single(address registry, uint64 shopId, uint64 batchId, uint32 leafIndex)
        internal
        view
        returns (uint32[] memory indexes, bytes32[] memory commitments, bytes32[] memory proof, uint256[] memory flags)
    {
        bytes32[][] memory tree = levels(registry, shopId, batchId);
        indexes = new uint32[](1);
        indexes[0] = leafIndex;
        commitments = new bytes32[](1);
        commitments[0] = commitment(batchId, leafIndex);
        proof = new bytes32[](DEPTH);
        for (uint256 level = 0; level < DEPTH; ++level) {
            proof[level] = tree[level][(uint256(leafIndex) >> level) ^ 1];
        }
        flags = new uint256[](1);
    }

    /// @notice Arguments of `issue` for every leaf in order: no proof, LEAVES - 1 flags all set.
    function whole(uint64 batchId)
        internal
        pure
        returns (uint32[] memory indexes, bytes32[] memory commitments, bytes32[] memory proof, uint256[] memory flags)
    {
        indexes = new uint32[](LEAVES);
        commitments = new bytes32[](LEAVES);
        for (uint32 i = 0; i < LEAVES; ++i) {
            indexes[i] = i;
            commitments[i] = commitment(batchId, i);
        }
        proof = new bytes32[](0);
        flags = new uint256[](1);
        flags[0] = (uint256(1) << (LEAVES - 1)) - 1;
    }

    function hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }
}
