// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";

/**
 * @title PackedMultiProof
 * @notice OpenZeppelin's Merkle multiproof algorithm (MerkleProof.processMultiProofCalldata, the
 * same queue of leaves and hashes, the same commutative hashing, so proofs from the
 * OpenZeppelin merkle-tree library's getMultiProof() verify unchanged) with the proof flags packed as
 * bits instead of an ABI `bool[]`.
 * @dev Why: an ABI `bool[]` spends a 32-byte calldata word per flag (about 130 gas each); a multiproof
 * for 100 random leaves of 1,000 has about 440 flags. Here flag `i` is bit `i % 256` (least
 * significant first) of `flags[i / 256]`; there are exactly leaves + proof - 1 flags, the array has
 * exactly ceil(flags / 256) words and every bit above the last flag must be zero (one encoding per
 * proof).
 *
 * Unlike OpenZeppelin's version this returns `valid = false` instead of reverting, so the caller
 * reports the failure with its own error, and it also refuses to read a hash before it was
 * computed (OpenZeppelin reads a zero there).
 */
library PackedMultiProof {
    /**
     * @notice Rebuilds the root from `leaves` (in the order getMultiProof() returns them), `proof`
     * and the packed `flags`.
     * @return valid False when the proof is malformed (wrong lengths, unconsumed or overrun proof).
     * @return root The rebuilt root; meaningful only when `valid`.
     */
    function processCalldata(bytes32[] calldata proof, uint256[] calldata flags, bytes32[] memory leaves)
        internal
        pure
        returns (bool valid, bytes32 root)
    {
        if (leaves.length == 0) return (false, bytes32(0));
        // Cannot underflow: there is at least one leaf. Cannot overflow: both are array lengths.
        uint256 total = leaves.length + proof.length - 1;
        if (flags.length != (total + 255) >> 8) return (false, bytes32(0));
        if (total & 255 != 0 && flags[flags.length - 1] >> (total & 255) != 0) return (false, bytes32(0));
        if (total == 0) return (true, leaves[0]);

        bytes32[] memory hashes = new bytes32[](total);
        // Queue positions packed to stay within the stack: leaves (bits 0..63), hashes (64..127),
        // proof (128..191). Each is bounded by an array length, far below 2^64.
        uint256 positions;
        unchecked {
            for (uint256 i = 0; i < total; ++i) {
                bytes32 a;
                (a, positions) = _pop(leaves, hashes, positions, i);
                bytes32 b;
                if ((flags[i >> 8] >> (i & 255)) & 1 == 1) {
                    (b, positions) = _pop(leaves, hashes, positions, i);
                } else {
                    uint256 proofPosition = positions >> 128;
                    if (proofPosition >= proof.length) return (false, bytes32(0));
                    b = proof[proofPosition];
                    positions += uint256(1) << 128;
                }
                // A zero hash marks a read past what was computed (see _pop); a real keccak256
                // result of zero is out of reach.
                if (a == bytes32(0) || b == bytes32(0)) return (false, bytes32(0));
                hashes[i] = Hashes.commutativeKeccak256(a, b);
            }
            if (positions >> 128 != proof.length) return (false, bytes32(0));
            return (true, hashes[total - 1]);
        }
    }

    /// @dev Takes the next value of the queue: a leaf while any is left, else a computed hash;
    /// zero when the hash at the front was not computed yet (a malformed proof).
    function _pop(bytes32[] memory leaves, bytes32[] memory hashes, uint256 positions, uint256 step)
        private
        pure
        returns (bytes32 value, uint256 newPositions)
    {
        unchecked {
            uint256 leafPosition = positions & type(uint64).max;
            if (leafPosition < leaves.length) return (leaves[leafPosition], positions + 1);
            uint256 hashPosition = (positions >> 64) & type(uint64).max;
            if (hashPosition >= step) return (bytes32(0), positions);
            return (hashes[hashPosition], positions + (uint256(1) << 64));
        }
    }
}
