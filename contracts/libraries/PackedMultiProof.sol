// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/**
 * @title PackedMultiProof
 * @notice OpenZeppelin's Merkle multiproof algorithm (MerkleProof.processMultiProofCalldata, the
 * same queue of leaves and hashes, the same commutative hashing, so proofs from the
 * OpenZeppelin merkle-tree library's getMultiProof() verify unchanged) with the proof flags packed as
 * bits instead of an ABI `bool[]`.
 * @dev Why: an ABI `bool[]` spends a 32-byte calldata word per flag (about 130 gas each); a multiproof
 * for 100 random leaves of 1,000 has about 360 flags. Here flag `i` is bit `i % 256` (least
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
        uint256 leavesLength = leaves.length;
        if (leavesLength == 0) return (false, bytes32(0));
        // Cannot underflow: there is at least one leaf. Cannot overflow: both are array lengths.
        uint256 total = leavesLength + proof.length - 1;
        if (flags.length != (total + 255) >> 8) return (false, bytes32(0));
        if (total & 255 != 0 && flags[flags.length - 1] >> (total & 255) != 0) return (false, bytes32(0));
        if (total == 0) return (true, leaves[0]);
        uint256 proofOffset;
        uint256 flagsOffset;
        // Assembly as a measured gas optimisation (explained above): the lint rule is waived here only.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            proofOffset := proof.offset
            flagsOffset := flags.offset
        }
        return _rebuild(proofOffset, proofOffset + proof.length * 32, flagsOffset, leaves, total);
    }

    /// @dev The queue loop over calldata offsets, apart so that it has the stack to itself.
    function _rebuild(uint256 proofOffset, uint256 proofEnd, uint256 flagsOffset, bytes32[] memory leaves, uint256 total)
        private
        pure
        returns (bool valid, bytes32 root)
    {
        // The loop of MerkleProof.processMultiProofCalldata with pointers instead of positions:
        // the queue is the leaves, then the hashes computed so far (`hashes` .. `hashWrite`).
        // It runs once per hash of every issue call, hence assembly. A read past the computed
        // hashes or past the proof makes the proof invalid instead of reading zeros.
        // Assembly as a measured gas optimisation (explained above): the lint rule is waived here only.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let hashes := mload(0x40)
            mstore(0x40, add(hashes, shl(5, total)))
            let leafPointer := add(leaves, 0x20)
            let leavesEnd := add(leafPointer, shl(5, mload(leaves)))
            let hashRead := hashes
            let hashWrite := hashes
            let proofPointer := proofOffset
            valid := 1
            for { let i := 0 } lt(i, total) { i := add(i, 1) } {
                let a := 0
                switch lt(leafPointer, leavesEnd)
                case 1 {
                    a := mload(leafPointer)
                    leafPointer := add(leafPointer, 0x20)
                }
                default {
                    if iszero(lt(hashRead, hashWrite)) {
                        valid := 0
                        break
                    }
                    a := mload(hashRead)
                    hashRead := add(hashRead, 0x20)
                }
                let b := 0
                switch and(shr(and(i, 255), calldataload(add(flagsOffset, shl(5, shr(8, i))))), 1)
                case 1 {
                    switch lt(leafPointer, leavesEnd)
                    case 1 {
                        b := mload(leafPointer)
                        leafPointer := add(leafPointer, 0x20)
                    }
                    default {
                        if iszero(lt(hashRead, hashWrite)) {
                            valid := 0
                            break
                        }
                        b := mload(hashRead)
                        hashRead := add(hashRead, 0x20)
                    }
                }
                default {
                    if iszero(lt(proofPointer, proofEnd)) {
                        valid := 0
                        break
                    }
                    b := calldataload(proofPointer)
                    proofPointer := add(proofPointer, 0x20)
                }
                // Hashes.commutativeKeccak256: the smaller value first.
                switch lt(a, b)
                case 1 {
                    mstore(0x00, a)
                    mstore(0x20, b)
                }
                default {
                    mstore(0x00, b)
                    mstore(0x20, a)
                }
                mstore(hashWrite, keccak256(0x00, 0x40))
                hashWrite := add(hashWrite, 0x20)
            }
            if iszero(eq(proofPointer, proofEnd)) { valid := 0 }
            switch valid
            case 1 { root := mload(sub(hashWrite, 0x20)) }
            default { root := 0 }
        }
    }
}
